/* outdir: results directories written atomically.
 *
 * Files are written into a temporary sibling directory (DIR.tmp-XXXXXX);
 * outdir_commit renames it to DIR in one step (an existing DIR is moved
 * aside first and removed afterwards), outdir_abort removes it. A reader
 * therefore sees either the old complete results or the new complete ones.
 */
#ifndef VMMSIM_OUTDIR_H
#define VMMSIM_OUTDIR_H

#include <limits.h>
#include <stdio.h>

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

struct outdir {
    char final[PATH_MAX];
    char tmp[PATH_MAX + 32];
};

/* Create the temporary directory (and DIR's parents). 0, or -errno with a
 * message in err. */
int outdir_begin(struct outdir *o, const char *dir, char *err, size_t errsize);
/* Path of NAME inside the temporary directory, into buf. */
char *outdir_path(const struct outdir *o, const char *name, char *buf, size_t size);
/* fopen(NAME, "w") inside the temporary directory. */
FILE *outdir_open(const struct outdir *o, const char *name);
int outdir_commit(struct outdir *o, char *err, size_t errsize);
void outdir_abort(struct outdir *o);

/* mkdir -p. 0 or -errno. */
int outdir_mkdirs(const char *path);
/* rm -r (files and directories, no symlink following). */
int outdir_remove_tree(const char *path);

#endif
