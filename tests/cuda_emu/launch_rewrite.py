# launch_rewrite.py IN.cu OUT.cpp — rewrites CUDA launches K<<<cfg>>>(args) into
# emu::run(emu::config(cfg), [=]() { K(args); }) so a .cu file compiles as plain C++ against emu_cuda.h
# (template arguments of K are deduced as CUDA deduces them); a #line keeps __FILE__ pointing at the .cu file.
import re, sys
src = open(sys.argv[1]).read()
out, i = [], 0
pat = re.compile(r'([A-Za-z_][A-Za-z_0-9]*(?:<[\w\s,:*]*>)?)\s*<<<')
while True:
    m = pat.search(src, i)
    if not m:
        out.append(src[i:]); break
    j = src.index('>>>', m.end())
    cfg = src[m.end():j]
    k = src.index('(', j)
    depth, e = 0, k
    while True:
        c = src[e]
        if c == '(': depth += 1
        elif c == ')':
            depth -= 1
            if depth == 0: break
        e += 1
    args = src[k + 1:e]
    out.append(src[i:m.start()])
    out.append('emu::run(emu::config(%s), [=]() { %s(%s); })' % (cfg, m.group(1), args))
    i = e + 1
open(sys.argv[2], 'w').write('#line 1 "%s"\n' % sys.argv[1] + ''.join(out))
