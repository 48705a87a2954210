"""MirrorMaker 2: the settings of each flow, their renders, and MM2's own record formats."""
