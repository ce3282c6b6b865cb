"""Engine tests need no database and no Django: only the engine's public interface."""
