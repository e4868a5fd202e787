#include "aarch64_paging/text.hpp"

namespace aarch64_paging {

TextWriter& TextWriter::chr(char c) {
    if (len_ == sizeof buf_) {
        flush();
    }
    buf_[len_++] = c;
    return *this;
}

TextWriter& TextWriter::str(const char* text) {
    while (*text != '\0') {
        chr(*text++);
    }
    return *this;
}

TextWriter& TextWriter::hex(uint64_t value, unsigned min_digits) {
    char digits[16];
    unsigned n = 0;
    do {
        digits[n++] = "0123456789abcdef"[value & 0xf];
        value >>= 4;
    } while (value != 0);
    for (; n < min_digits && n < sizeof digits; ++n) {
        digits[n] = '0';
    }
    str("0x");
    while (n > 0) {
        chr(digits[--n]);
    }
    return *this;
}

TextWriter& TextWriter::dec(uint64_t value) {
    char digits[20];
    unsigned n = 0;
    do {
        digits[n++] = static_cast<char>('0' + value % 10);
        value /= 10;
    } while (value != 0);
    while (n > 0) {
        chr(digits[--n]);
    }
    return *this;
}

TextWriter& TextWriter::spaces(unsigned count) {
    while (count-- > 0) {
        chr(' ');
    }
    return *this;
}

void TextWriter::flush() {
    if (len_ != 0 && write_ != nullptr) {
        write_(ctx_, buf_, len_);
    }
    len_ = 0;
}

}  // namespace aarch64_paging
