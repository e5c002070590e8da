# fish completion for rd-compact(1): the commands come from rd-compact itself
# (--completion-helper), so they are always its own options.
rd-compact --completion-helper fish 2>/dev/null | source
