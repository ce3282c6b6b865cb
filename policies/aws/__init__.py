"""AWS's IAM and STS Query APIs at /aws/, signed with Signature Version 4 (docs/aws-api.md)."""
