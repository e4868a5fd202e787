/*
 * image-phdrs.ld.h - the program headers of the runtime's sections (image-sections.ld.h),
 * included inside every image's PHDRS: text (read, execute), rodata (read), data (read,
 * write), so that no segment is writable and executable.
 */
    text PT_LOAD FLAGS(5);
    rodata PT_LOAD FLAGS(4);
    data PT_LOAD FLAGS(6);
