/* What bindgen reads (build.rs): Pd's API header and the one s_stuff.h
 * declaration fsync~ uses. PD_FLOATSIZE comes from build.rs (32 or 64). */
#include "m_pd.h"
#include "s_stuff.h"
#include "shim.h"
