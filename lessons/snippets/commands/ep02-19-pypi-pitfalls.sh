minipixi add --pypi platformdirs
minipixi list | grep -E "^(Package|platformdirs)"
minipixi remove --pypi platformdirs
minipixi add --pypi tinybuild
