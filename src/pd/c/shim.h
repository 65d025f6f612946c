/* The C shim's functions (shim.c), bound by bindgen like the rest of Pd's API. */
t_class *fsync_class_new_gimme(t_symbol *name, t_newmethod newmethod,
    t_method freemethod, size_t size, int flags);
void fsync_class_addfloat(t_class *c, t_method fn);
t_class *fsync_garray_class(void);
t_symbol *fsync_signal_symbol(void);
