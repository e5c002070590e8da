# fish completion for rd-audit(1): the commands come from rd-audit itself
# (--completion-helper), so they are always its own options.
rd-audit --completion-helper fish 2>/dev/null | source
