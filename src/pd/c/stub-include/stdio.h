/* For bindgen only: m_pd.h includes <stdio.h> just for FILE (sys_fopen), which
 * fsync~ does not bind. This stub keeps the generated bindings independent of
 * the host's or target's C library headers (there is no macOS SDK here). */
#ifndef FSYNC_STUB_STDIO_H
#define FSYNC_STUB_STDIO_H
typedef struct _fsync_stub_FILE FILE;
#endif
