/* What Pd's C API offers only as macros: compiled by the target's own C compiler
 * (gcc, mingw-w64 gcc, zig cc) with the PD_FLOATSIZE being built, so the
 * preprocessor makes the choices m_pd.h makes for C externals. */
#include "m_pd.h"
#include "shim.h"

/* build.rs passes the float size and the layout bindgen computed (with clang);
 * the target's compiler must agree, or Pd would write into our fields
 * (e.g. t_text's bitfield under mingw's ms-bitfields layout). */
_Static_assert(PD_FLOATSIZE == FSYNC_FLOATSIZE, "PD_FLOATSIZE differs from the Rust build's");
_Static_assert(sizeof(t_float) * 8 == FSYNC_FLOATSIZE, "t_float is not the Rust build's width");
_Static_assert(sizeof(t_sample) * 8 == FSYNC_FLOATSIZE, "t_sample is not the Rust build's width");
_Static_assert(sizeof(t_int) == sizeof(void *), "t_int must hold a pointer");
_Static_assert(sizeof(t_object) == FSYNC_SIZEOF_T_OBJECT, "t_object's size differs between bindgen and the C compiler");
_Static_assert(sizeof(t_atom) == FSYNC_SIZEOF_T_ATOM, "t_atom's size differs between bindgen and the C compiler");

/* class_new is a macro for class_new64 when PD_FLOATSIZE is 64 (a 64-bit Pd
 * refuses classes made with class_new, and the other way round). One A_GIMME
 * constructor, as fsync~ has. */
t_class *fsync_class_new_gimme(t_symbol *name, t_newmethod newmethod,
    t_method freemethod, size_t size, int flags)
{
    return class_new(name, newmethod, freemethod, size, flags, A_GIMME, 0);
}

/* class_addfloat is a macro (a cast to t_method around class_doaddfloat). */
void fsync_class_addfloat(t_class *c, t_method fn)
{
    class_addfloat(c, fn);
}

/* A data import from Pd: on Windows only C's dllimport reads it right
 * (the linker's auto-import of data needs runtime pseudo-relocations). */
t_class *fsync_garray_class(void)
{
    return garray_class;
}

/* &s_signal, likewise a data import (the symbol signal outlets are made with). */
t_symbol *fsync_signal_symbol(void)
{
    return &s_signal;
}
