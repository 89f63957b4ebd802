/* version.h - tmsim's version, echoed in --version and summary.json. */
#ifndef TM_VERSION_H
#define TM_VERSION_H

#define TM_VERSION "0.1.0"

#endif
