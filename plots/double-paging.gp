# double-paging.gp: the headline figure of configs/double-paging.yaml.
#
# Usage: gnuplot -e "dir='SWEEP_DIR'" plots/double-paging.gp
# Reads  dir/sweep.csv (columns in sim/sweep.c write_csv): the first swept
# parameter is the VM's host-memory limit (numeric value in column x1, in %
# of guest memory); the second, if any, is the VMM replacement policy (raw
# value in column 3). Columns are found by their header names where possible.
# Writes dir/double-paging.png and dir/double-paging.svg.
#
# Left panel: double-paging events per 1000 guest swap-outs; right panel:
# runtime relative to the sweep's baseline (the unconstrained run). One curve
# per value of the second parameter, in order of first appearance; points of
# one curve are sorted by x and points with equal x averaged (smooth unique),
# which also merges further swept parameters. The x axis is reversed: host
# memory shrinks to the right.

set encoding utf8
if (!exists("dir")) dir = "."
file = dir . "/sweep.csv"

set datafile separator comma
set datafile columnheaders

# Number of swept parameters: columns come in pairs (raw, xk) before runtime_s.
np = 0
do for [k = 1:16] {
    stats file using (h = columnhead(2 * k + 1), 0) every ::0::0 nooutput
    if (np == 0 && h eq "runtime_s") { np = k }
}
if (np == 0) { print "double-paging.gp: no runtime_s column in " . file; exit }
gname = ""
if (np >= 2) { stats file using (gname = columnhead(3), 0) every ::0::0 nooutput }
glabel = gname eq "host.vmm.policy" ? "VMM policy" : gname

# Curves: the distinct values CV[1..nc] of column 3 in order of first
# appearance (one curve when there is no second parameter). Values may hold
# spaces; "seen" lists them between \001 separators for lookup.
stats file using (0) nooutput
array CV[STATS_records]
seen = "\001"
nc = 0
newc(v) = strstrt(seen, "\001" . v . "\001") == 0 ? (seen = seen . v . "\001", nc = nc + 1, CV[nc] = v, 0) : 0
if (np >= 2) {
    stats file using (newc(strcol(3))) nooutput
} else {
    nc = 1
}
inc(i) = np < 2 || strcol(3) eq CV[i]

# Ranges over the valid points (NaN-safe accumulators, so all-zero or
# single-point data cannot make stats fail).
xmin = 1e300
xmax = -1e300
dmax = 0.0
smin = 1.0
smax = 1.0
nsl = 0
bx = NaN
bmixed = 0
ok(v) = v == v
# A column's value, NaN for the text "nan" (which would invalidate the row).
num(c) = strcol(c) eq "nan" || strcol(c) eq "-nan" ? NaN : column(c)
acc(x, d, sl) = (ok(x) ? (x < xmin ? xmin = x : 0, x > xmax ? xmax = x : 0) : 0, \
                 ok(d) && d > dmax ? dmax = d : 0, \
                 ok(sl) ? (nsl = nsl + 1, sl < smin ? smin = sl : 0, sl > smax ? smax = sl : 0) : 0, \
                 sl == 1 && ok(x) ? (ok(bx) ? (bx != x ? bmixed = 1 : 0) : bx = x) : 0, 0)
stats file using (acc(num(2), num("double_paging_per_1000_guest_swapouts"), num("slowdown"))) nooutput
if (xmin > xmax) { xmin = 0; xmax = 100 }
xpad = xmax > xmin ? (xmax - xmin) * 0.04 : 5
dtop = dmax > 0 ? dmax * 1.1 : 1
if (dmax > 500 && dmax <= 1000) { dtop = 1050 }
stop = smax > smin ? smax + (smax - smin) * 0.08 : smax + 0.5
sbot = smin < 1 ? smin - (stop - smin) * 0.05 : 0.95

# The baseline's x (the runs with slowdown exactly 1), if they agree.
slabel = ok(bx) && !bmixed ? sprintf("slowdown (runtime / runtime at %g%%)", bx) \
                           : "slowdown (runtime / baseline runtime)"

# One datablock per curve: x, double paging per 1000 swap-outs, slowdown.
do for [i = 1:nc] {
    eval sprintf("set table $C%d", i)
    plot file using (num(2)):(num("double_paging_per_1000_guest_swapouts")):(num("slowdown")) \
         with table if (inc(i))
    unset table
}
set datafile nocolumnheaders
set datafile separator whitespace

colors = "#1f5fa8 #d9531e #2b8a3e #7a3ea0 #b8860b #c2185b #00838f #555555"
ptypes = "7 5 9 11 13 15 4 6"
col(i) = word(colors, (i - 1) % 8 + 1)
pt(i) = int(word(ptypes, (i - 1) % 8 + 1))
ctitle(i) = np >= 2 ? CV[i] : "all runs"

W = 1200
H = 540
mL = 95.0
gap = 110.0
mR = 30.0
mT = 130.0
mB = 70.0
pw = (W - mL - mR - gap) / 2

do for [t = 1:2] {
    if (t == 1) {
        set terminal pngcairo enhanced size W, H font "Helvetica,14" linewidth 1.3
        set output dir . "/double-paging.png"
    } else {
        set terminal svg enhanced size W, H font "Helvetica,14" dynamic background "white"
        set output dir . "/double-paging.svg"
    }
    set multiplot title "Double paging and slowdown as the VMM takes host memory away" font ",16"
    set grid xtics ytics lc "#c8c8c8" lw 0.8 dt 3
    set border 3 lw 1.0
    set tics nomirror out scale 0.7
    set xrange [xmax + xpad : xmin - xpad]
    set xlabel "host memory for the VM (% of guest memory)  → less"
    set tmargin at screen 1 - mT / H
    set bmargin at screen mB / H
    unset key

    set lmargin at screen mL / W
    set rmargin at screen (mL + pw) / W
    set title "Double paging" font ",14"
    set ylabel "double paging per 1000 guest swap-outs"
    set yrange [0:dtop]
    plot for [i = 1:nc] sprintf("$C%d", i) using 1:2 smooth unique with linespoints \
         lw 2 pt pt(i) ps 1.3 lc rgb col(i)

    set lmargin at screen (mL + pw + gap) / W
    set rmargin at screen (W - mR) / W
    set title "Slowdown" font ",14"
    set ylabel slabel
    set yrange [sbot:stop]
    set arrow 1 from graph 0, first 1 to graph 1, first 1 nohead lc "#808080" lw 1 dt 2 back
    if (nsl == 0) { set label 1 "no baseline run in this sweep" at graph 0.5, 0.5 center tc "#808080" }
    plot for [i = 1:nc] sprintf("$C%d", i) using 1:3 smooth unique with linespoints \
         lw 2 pt pt(i) ps 1.3 lc rgb col(i)
    unset arrow 1
    unset label 1

    # The legend, once, in a strip under the figure title.
    set lmargin at screen 0.1
    set rmargin at screen 0.9
    set tmargin at screen 1 - 40.0 / H
    set bmargin at screen 1 - 95.0 / H
    unset title
    unset xlabel
    unset ylabel
    unset grid
    unset tics
    unset border
    set xrange [0:1]
    set yrange [0:1]
    set key center center horizontal maxrows 1 Left reverse samplen 3 width 1 font ",13" noenhanced
    if (np >= 2) { set key title glabel . ":" noenhanced }
    plot -1 with lines notitle, \
         for [i = 1:nc] keyentry with linespoints lw 2 pt pt(i) ps 1.3 lc rgb col(i) title ctitle(i)
    unset multiplot
    set output
}
