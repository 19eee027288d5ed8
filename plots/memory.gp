# memory.gp: where each VM's guest-physical memory lives over time.
#
# Usage: gnuplot -e "dir='RESULTS_DIR'" plots/memory.gp
# Reads  dir/timeseries.csv (columns in sim/sample.h), one row per VM per sample.
# Writes dir/memory.png and dir/memory.svg.
#
# One panel per VM (the first 8 when there are more; the title says so).
# Filled areas, stacked: resident in host memory, swapped out by the VMM,
# unbacked (never touched); they sum to the VM's memory. Lines: the pages
# the guest itself holds in its swap device, and the VMM's target for the VM.
# Rows are split per VM into datablocks ($V1, $V2, ...) with
# `with table if (...)`, so the script needs nothing but gnuplot 5.4.

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

# One datablock per shown VM: time, target, resident, vmm_swapped, unbacked, guest_swapped.
do for [i = 1:nshow] {
    eval sprintf("set table $V%d", i)
    plot file using 1:4:5:6:7:9 with table if (strcol(2) eq VH[i] && strcol(3) eq VN[i])
    unset table
}
set datafile nocolumnheaders
set datafile separator whitespace

# Common y range: the largest VM memory, guest-swapped amount or target.
ymax = 1.0
do for [i = 1:nshow] {
    stats sprintf("$V%d", i) using ($3 + $4 + $5) nooutput
    ymax = STATS_max > ymax ? STATS_max : ymax
    stats sprintf("$V%d", i) using 6 nooutput
    ymax = STATS_max > ymax ? STATS_max : ymax
    stats sprintf("$V%d", i) using 2 nooutput
    ymax = STATS_max > ymax ? STATS_max : ymax
}

cols = nshow <= 3 ? nshow : (nshow <= 4 ? 2 : (nshow <= 6 ? 3 : 4))
rows = (nshow + cols - 1) / cols
W = cols == 1 ? 1000 : 470 * cols
H = 320 * rows + 120

title = nv > maxpanels ? sprintf("Memory of each VM over time (first %d of %d VMs shown)", maxpanels, nv) \
                       : (nv > 1 ? "Memory of each VM over time" : "Memory of the VM over time")

c_res = "#4878b8"
c_vsw = "#e0803a"
c_unb = "#d4d4d4"
c_gsw = "#2b8a3e"
c_tgt = "#000000"

# Panel geometry in pixels: outer margins, gaps, then each panel's plot area.
mL = 75.0
mR = 25.0
mT = 125.0
mB = 60.0
gapx = 75.0
gapy = 80.0
pw = (W - mL - mR - (cols - 1) * gapx) / cols
ph = (H - mT - mB - (rows - 1) * gapy) / rows
px(i) = mL + ((i - 1) % cols) * (pw + gapx)
py(i) = mT + ((i - 1) / cols) * (ph + gapy)

do for [t = 1:2] {
    if (t == 1) {
        set terminal pngcairo enhanced size W, H font "Helvetica,13" linewidth 1.2
        set output dir . "/memory.png"
    } else {
        set terminal svg enhanced size W, H font "Helvetica,13" dynamic background "white"
        set output dir . "/memory.svg"
    }
    set multiplot title title font ",15"
    set grid xtics ytics front lc "#ffffff" lw 0.8 dt 3
    set border 3 lw 1.0
    set tics nomirror out scale 0.7
    set xrange [0:tend]
    set yrange [0:ymax * 1.08]
    set style fill solid 0.9 noborder
    unset key
    do for [i = 1:nshow] {
        d = sprintf("$V%d", i)
        stats d using ($3 + $4 + $5) nooutput
        set lmargin at screen px(i) / W
        set rmargin at screen (px(i) + pw) / W
        set tmargin at screen 1 - py(i) / H
        set bmargin at screen 1 - (py(i) + ph) / H
        set title sprintf("%s (%.0f MiB)", vmlabel(i), STATS_max) noenhanced font ",13"
        if (i + cols > nshow) { set xlabel sprintf("simulated time (%s)", tunit) } else { unset xlabel }
        if ((i - 1) % cols == 0) { set ylabel "memory (MiB)" } else { unset ylabel }
        plot d using ($1 / tdiv):3 with filledcurves y1 = 0 lc rgb c_res, \
             d using ($1 / tdiv):3:($3 + $4) with filledcurves lc rgb c_vsw, \
             d using ($1 / tdiv):($3 + $4):($3 + $4 + $5) with filledcurves lc rgb c_unb, \
             d using ($1 / tdiv):6 with lines lw 2.2 lc rgb c_gsw, \
             d using ($1 / tdiv):2 with lines lw 1.6 dt 2 lc rgb c_tgt
    }
    # The legend, once, in a strip under the figure title.
    kw = W > 1100 ? 1100.0 / W : 0.98
    set lmargin at screen 0.5 - kw / 2
    set rmargin at screen 0.5 + kw / 2
    set tmargin at screen 1 - 38.0 / H
    set bmargin at screen 1 - 68.0 / H
    unset title
    unset xlabel
    unset ylabel
    unset grid
    unset tics
    unset border
    set xrange [0:1]
    set yrange [0:1]
    set key center center horizontal maxcols 5 maxrows 1 Left reverse samplen 3.5 width 0 font ",12"
    plot -1 with lines notitle, \
         keyentry with filledcurves lc rgb c_res title "resident in host memory", \
         keyentry with filledcurves lc rgb c_vsw title "swapped by the VMM", \
         keyentry with filledcurves lc rgb c_unb title "unbacked (never touched)", \
         keyentry with lines lw 2.2 lc rgb c_gsw title "in the guest's swap", \
         keyentry with lines lw 1.6 dt 2 lc rgb c_tgt title "VMM target"
    unset multiplot
    set output
}
