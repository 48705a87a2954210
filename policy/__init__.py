"""The CrossGuard policy pack of the pair: plain check functions (`checks`, `destructive`) over a typed view of the
resources (`resources`), wired to the Pulumi policy SDK in `__main__.py` and `engine`."""
