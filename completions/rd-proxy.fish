# fish completion for rd-proxy(1): the commands come from rd-proxy itself
# (--completion-helper), so they are always its own options.
rd-proxy --completion-helper fish 2>/dev/null | source
