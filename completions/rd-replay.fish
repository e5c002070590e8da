# fish completion for rd-replay(1): the commands come from rd-replay itself
# (--completion-helper), so they are always its own options.
rd-replay --completion-helper fish 2>/dev/null | source
