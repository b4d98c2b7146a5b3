"""Command pipelines: one module per command family, read top to bottom, each calling the
library modules that know how. The CLI parses, calls one of these and renders; nothing here prints."""
