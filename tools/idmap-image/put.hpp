// put.hpp - printf onto the end of a string: how the assembly and the SVG are written.
#ifndef IDMAP_IMAGE_PUT_HPP
#define IDMAP_IMAGE_PUT_HPP

#include <stdarg.h>
#include <stdio.h>

#include <string>

namespace idmap_image {

// Appends fmt's output to out; a line of the outputs is never longer than 512 bytes.
__attribute__((format(printf, 2, 3))) inline void put(std::string& out, const char* fmt, ...) {
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    out += line;
}

}  // namespace idmap_image

#endif
