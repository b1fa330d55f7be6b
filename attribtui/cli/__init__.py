"""Sub-commands added by feature modules: each module here has `register(sub, sandbox)`:
the top-level sub-parsers and those of `attribtui sandbox` (for emulator or stand-in actions).

`attribtui.cli.build_parser` calls `register(sub, sandbox)` on every module of this package, so a new
command does not edit cli.py. Modules import their heavy dependencies inside their handlers, to
keep `attribtui --help` fast. Shared helpers live in `attribtui.cli`: `common_args`,
`mutation_args`, `load_profile_or_none`, `err`, `UsageError`, the EXIT_* codes, `Parser`.
"""
