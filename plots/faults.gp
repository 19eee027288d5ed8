# faults.gp: paging event rates of each VM over time.
#
# Usage: gnuplot -e "dir='RESULTS_DIR'" plots/faults.gp
# Reads  dir/timeseries.csv (columns in sim/sample.h), one row per VM per sample.
# Writes dir/faults.png and dir/faults.svg.
#
# One panel per VM (the first 8 when there are more; the title says so), all
# on one y axis: guest page faults, guest swap-outs, VMM swap-ins, VMM
# swap-outs and double-paging events per simulated second, each averaged over
# the sample interval ending at the plotted time. The y axis is logarithmic
# when the positive rates span more than a factor of 50, linear otherwise; on
# the log axis a zero rate is drawn on the bottom axis (ylo), which lies below
# every positive rate, so curves stay continuous.

set encoding utf8
if (!exists("dir")) dir = "."
file = dir . "/timeseries.csv"
maxpanels = 8

set datafile separator comma
set datafile columnheaders

stats file using 1 nooutput
tmax = STATS_max
nrec = STATS_records

# The VMs in order of first appearance: host name VH[i], VM name VN[i]. Names
# may contain spaces; "seen" lists "\001host\002vm\001" keys for lookup.
# Every VM has a row at the first sample time, so only those rows are read.
array VH[nrec]
array VN[nrec]
seen = "\001"
hseen = "\001"
nv = 0
nhosts = 0
newvm(h, v) = strstrt(seen, "\001" . h . "\002" . v . "\001") == 0 ? \
    (seen = seen . h . "\002" . v . "\001", nv = nv + 1, VH[nv] = h, VN[nv] = v, 0) : 0
newhost(h) = strstrt(hseen, "\001" . h . "\001") == 0 ? (hseen = hseen . h . "\001", nhosts = nhosts + 1, 0) : 0
tmin = STATS_min
stats file using ($1 == tmin ? newvm(strcol(2), strcol(3)) + newhost(strcol(2)) : 0) nooutput

# Time axis unit: seconds, minutes or hours.
tdiv = tmax > 7200 ? 3600.0 : (tmax > 600 ? 60.0 : 1.0)
tunit = tdiv == 3600.0 ? "h" : (tdiv == 60.0 ? "min" : "s")
tend = tmax > 0 ? tmax / tdiv : 1.0

nshow = nv > maxpanels ? maxpanels : nv
vmlabel(i) = nhosts > 1 ? VH[i] . "/" . VN[i] : VN[i]

# One datablock per shown VM: time, guest faults, guest swap-outs,
# VMM swap-ins, VMM swap-outs, double paging (all per second).
do for [i = 1:nshow] {
    eval sprintf("set table $V%d", i)
    plot file using 1:12:13:14:15:16 with table if (strcol(2) eq VH[i] && strcol(3) eq VN[i])
    unset table
}
set datafile nocolumnheaders
set datafile separator whitespace

# Smallest and largest positive rate over all shown panels.
pmin = 1e300
pmax = 0.0
upd(v) = (v > 0 && v < pmin ? pmin = v : 0, v > pmax ? pmax = v : 0, 0)
do for [i = 1:nshow] {
    stats sprintf("$V%d", i) using (upd($2), upd($3), upd($4), upd($5), upd($6), 0) nooutput
}
uselog = pmax > 0 && pmax / pmin > 50
ylo = uselog ? 10 ** floor(log10(pmin * 0.999)) : 0
z(v) = uselog && v <= 0 ? ylo : v
yhi = pmax > 0 ? (uselog ? 10 ** ceil(log10(pmax * 1.5)) : pmax * 1.1) : 1

cols = nshow <= 3 ? nshow : (nshow <= 4 ? 2 : (nshow <= 6 ? 3 : 4))
rows = (nshow + cols - 1) / cols
W = cols == 1 ? 1000 : 470 * cols
H = 320 * rows + 135

title = "Paging events over time" . \
        (nv > maxpanels ? sprintf(" (first %d of %d VMs shown)", maxpanels, nv) : "") . \
        (uselog ? "\n{/*0.8 log scale; a zero rate is drawn on the bottom axis}" : "")

c_gf = "#7f7f7f"
c_gso = "#2b8a3e"
c_vsi = "#e0803a"
c_vso = "#6a51a3"
c_dp = "#c81e1e"

# Panel geometry in pixels: outer margins, gaps, then each panel's plot area.
mL = 95.0
mR = 25.0
mT = 140.0
mB = 60.0
gapx = 80.0
gapy = 80.0
pw = (W - mL - mR - (cols - 1) * gapx) / cols
ph = (H - mT - mB - (rows - 1) * gapy) / rows
px(i) = mL + ((i - 1) % cols) * (pw + gapx)
py(i) = mT + ((i - 1) / cols) * (ph + gapy)

do for [t = 1:2] {
    if (t == 1) {
        set terminal pngcairo enhanced size W, H font "Helvetica,13" linewidth 1.2
        set output dir . "/faults.png"
    } else {
        set terminal svg enhanced size W, H font "Helvetica,13" dynamic background "white"
        set output dir . "/faults.svg"
    }
    set multiplot title title font ",15"
    set grid xtics ytics lc "#c8c8c8" lw 0.8 dt 3
    set border 3 lw 1.0
    set tics nomirror out scale 0.7
    set xrange [0:tend]
    if (uselog) {
        set logscale y
        set format y "10^{%L}"
    } else {
        unset logscale y
        set format y "%g"
    }
    set yrange [ylo:yhi]
    unset key
    do for [i = 1:nshow] {
        d = sprintf("$V%d", i)
        set lmargin at screen px(i) / W
        set rmargin at screen (px(i) + pw) / W
        set tmargin at screen 1 - py(i) / H
        set bmargin at screen 1 - (py(i) + ph) / H
        set title vmlabel(i) noenhanced font ",13"
        if (i + cols > nshow) { set xlabel sprintf("simulated time (%s)", tunit) } else { unset xlabel }
        if ((i - 1) % cols == 0) { set ylabel "events per second" } else { unset ylabel }
        plot d using ($1 / tdiv):(z($2)) with lines lw 1.6 lc rgb c_gf, \
             d using ($1 / tdiv):(z($3)) with lines lw 1.6 lc rgb c_gso, \
             d using ($1 / tdiv):(z($4)) with lines lw 1.6 lc rgb c_vsi, \
             d using ($1 / tdiv):(z($5)) with lines lw 1.6 dt 2 lc rgb c_vso, \
             d using ($1 / tdiv):(z($6)) with lines lw 2.4 lc rgb c_dp
    }
    # The legend, once, in a strip under the figure title.
    kw = W > 1100 ? 1100.0 / W : 0.98
    set lmargin at screen 0.5 - kw / 2
    set rmargin at screen 0.5 + kw / 2
    set tmargin at screen 1 - 55.0 / H
    set bmargin at screen 1 - 85.0 / H
    unset title
    unset xlabel
    unset ylabel
    unset grid
    unset tics
    unset border
    unset logscale y
    set xrange [0:1]
    set yrange [0:1]
    set key center center horizontal maxcols 5 maxrows 1 Left reverse samplen 3.5 width 0 font ",12"
    plot -1 with lines notitle, \
         keyentry with lines lw 1.6 lc rgb c_gf title "guest page faults", \
         keyentry with lines lw 1.6 lc rgb c_gso title "guest swap-outs", \
         keyentry with lines lw 1.6 lc rgb c_vsi title "VMM swap-ins", \
         keyentry with lines lw 1.6 dt 2 lc rgb c_vso title "VMM swap-outs", \
         keyentry with lines lw 2.4 lc rgb c_dp title "double paging"
    unset multiplot
    set output
}
