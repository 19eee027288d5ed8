# sweep.gp: the generic figure of a parameter sweep.
#
# Usage: gnuplot -e "dir='SWEEP_DIR'" plots/sweep.gp
# Reads  dir/sweep.csv (columns in sim/sweep.c write_csv).
# Writes dir/sweep.png and dir/sweep.svg.
#
# x = the first swept parameter (its numeric column x1; when no value of it
# is numeric, its raw values as categories in order of first appearance),
# y = simulated runtime in seconds, one curve per raw value of the second
# parameter if there is one. Points of one curve are sorted by x and points
# with equal x averaged (smooth unique), which merges further parameters.

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
if (np == 0) { print "sweep.gp: no runtime_s column in " . file; exit }
xname = ""
gname = ""
stats file using (xname = columnhead(1), 0) every ::0::0 nooutput
if (np >= 2) { stats file using (gname = columnhead(3), 0) every ::0::0 nooutput }

# A column's value, NaN for the text "nan" (which would invalidate the row).
num(c) = strcol(c) eq "nan" || strcol(c) eq "-nan" ? NaN : column(c)

# Distinct raw values of the first parameter (categories) and of the second
# (curves); whether any x1 is numeric; whether the raw x values carry a '%'.
stats file using (0) nooutput
array XV[STATS_records]
array CV[STATS_records]
xseen = "\001"
seen = "\001"
nx = 0
nc = np >= 2 ? 0 : 1
xnum = 0
xpct = 0
ymax = 0.0
addx(s) = strstrt(xseen, "\001" . s . "\001") == 0 ? (xseen = xseen . s . "\001", nx = nx + 1, XV[nx] = s, 0) : 0
addc(s) = np >= 2 && strstrt(seen, "\001" . s . "\001") == 0 ? (seen = seen . s . "\001", nc = nc + 1, CV[nc] = s, 0) : 0
stats file using (addx(strcol(1)), addc(np >= 2 ? strcol(3) : ""), \
                  (num(2) == num(2) ? xnum = xnum + 1 : 0), (strstrt(strcol(1), "%") > 0 ? xpct = 1 : 0), \
                  (num("runtime_s") > ymax ? ymax = num("runtime_s") : 0), 0) nooutput

xcat(s) = sum [j = 1:nx] (XV[j] eq s ? j : 0)
xval(dummy) = xnum > 0 ? num(2) : xcat(strcol(1))
inc(i) = np < 2 || strcol(3) eq CV[i]

xmin = 1e300
xmax = -1e300
accx(x) = x == x ? (x < xmin ? xmin = x : 0, x > xmax ? xmax = x : 0, 0) : 0
stats file using (accx(xval(0)), 0) nooutput
if (xmin > xmax) { xmin = 0; xmax = 1 }
xpad = xmax > xmin ? (xmax - xmin) * 0.04 : 1
ytop = ymax > 0 ? ymax * 1.1 : 1

do for [i = 1:nc] {
    eval sprintf("set table $C%d", i)
    plot file using (xval(0)):(num("runtime_s")) with table if (inc(i))
    unset table
}
set datafile nocolumnheaders
set datafile separator whitespace

colors = "#1f5fa8 #d9531e #2b8a3e #7a3ea0 #b8860b #c2185b #00838f #555555"
ptypes = "7 5 9 11 13 15 4 6"
col(i) = word(colors, (i - 1) % 8 + 1)
pt(i) = int(word(ptypes, (i - 1) % 8 + 1))
ctitle(i) = np >= 2 ? CV[i] : "runtime"

W = 900
H = 600
do for [t = 1:2] {
    if (t == 1) {
        set terminal pngcairo enhanced size W, H font "Helvetica,14" linewidth 1.3
        set output dir . "/sweep.png"
    } else {
        set terminal svg enhanced size W, H font "Helvetica,14" dynamic background "white"
        set output dir . "/sweep.svg"
    }
    set title "Simulated runtime across the sweep" font ",16"
    set grid xtics ytics lc "#c8c8c8" lw 0.8 dt 3
    set border 3 lw 1.0
    set tics nomirror out scale 0.7
    set xlabel xname . (xpct ? " (%)" : "") noenhanced
    set ylabel "simulated runtime (s)"
    if (xnum > 0) {
        set xrange [xmin - xpad : xmax + xpad]
    } else {
        set xrange [0.5 : nx + 0.5]
        set xtics 1
        do for [j = 1:nx] { set xtics add (XV[j] j) }
    }
    set yrange [0:ytop]
    set key outside right top vertical Left reverse samplen 3 noenhanced
    if (np >= 2) { set key title gname noenhanced } else { unset key }
    plot for [i = 1:nc] sprintf("$C%d", i) using 1:2 smooth unique with linespoints \
         lw 2 pt pt(i) ps 1.3 lc rgb col(i) title ctitle(i)
    set output
}
