"""The scale data set's names: seed_scale builds it, the page benchmarks look for it."""

USER_PREFIX, GROUP_PREFIX, LARGE_GROUP = "scale-user-", "scale-group-", "scale-large-group"
