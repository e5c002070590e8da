# fish completion for rd-health(1): the commands come from rd-health itself
# (--completion-helper), so they are always its own options.
rd-health --completion-helper fish 2>/dev/null | source
