/*
 * tmpname.h - the temporary name every output is written under before it is
 * renamed into place (STYLE.md habit 12): "DIR/.NAME.tmp.PID" for
 * "DIR/NAME".  Hidden, so a killed run leaves nothing that looks like a
 * result; the PID keeps concurrent writers apart.
 */
#ifndef TM_TMPNAME_H
#define TM_TMPNAME_H

/* A new string (free it) naming path's temporary file. */
char *tm_tmp_path(const char *path);

#endif
