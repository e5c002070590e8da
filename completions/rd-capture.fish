# fish completion for rd-capture(1): the commands come from rd-capture itself
# (--completion-helper), so they are always its own options.
rd-capture --completion-helper fish 2>/dev/null | source
