#include "aarch64_paging/error.hpp"

#include "aarch64_paging/text.hpp"

namespace aarch64_paging {

const char* status_str(Status status) {
    switch (status) {
        case Status::Ok: return "ok";
        case Status::AddressRange: return "address out of range";
        case Status::InvalidVirtualAddress: return "invalid virtual address";
        case Status::RegionBackwards: return "region backwards";
        case Status::PteUpdateFault: return "page table entry update failed";
        case Status::InvalidFlags: return "invalid flags";
        case Status::BreakBeforeMakeViolation: return "break-before-make violation";
        case Status::OutOfMemory: return "out of memory for translation tables";
        case Status::InvalidArgument: return "invalid argument";
        case Status::AlreadyActive: return "already active";
        case Status::NotActive: return "not active";
        case Status::Sealed: return "sealed";
    }
    return "unknown status";
}

namespace {

// Copies what it is given into buf as snprintf would, and counts the whole length.
struct BoundedBuffer {
    char* buf;
    size_t len;
    size_t total;

    static void write(void* ctx, const char* text, size_t n) {
        auto* self = static_cast<BoundedBuffer*>(ctx);
        for (size_t i = 0; i < n; ++i, ++self->total) {
            if (self->total + 1 < self->len) {
                self->buf[self->total] = text[i];
            }
        }
    }
};

void write_region(TextWriter& out, const MemoryRegion& region) {
    out.chr('[').hex(region.start().value()).str(", ").hex(region.end().value()).chr(')');
}

}  // namespace

// NOLINTNEXTLINE(readability-non-const-parameter): written through sink
size_t MapError::format(char* buf, size_t len) const {
    BoundedBuffer sink{buf, buf != nullptr ? len : 0, 0};
    {
        TextWriter out(&BoundedBuffer::write, &sink);
        out.str(status_str(status));
        switch (status) {
            case Status::AddressRange:
                out.str(": ").hex(va.value()).str(" is beyond the table");
                break;
            case Status::InvalidVirtualAddress:
                out.str(": ").hex(va.value());
                break;
            case Status::RegionBackwards:
                out.str(": end before start in ");
                write_region(out, region);
                break;
            case Status::PteUpdateFault:
                out.str(": callback failed on descriptor ").hex(value);
                break;
            case Status::InvalidFlags:
                out.str(": refused bits ").hex(value);
                break;
            case Status::BreakBeforeMakeViolation:
                out.str(": live entries in ");
                write_region(out, region);
                out.str(" cannot change that way while the table is active");
                break;
            case Status::Sealed:
                out.str(": changing bits ").hex(value).str(" in ");
                write_region(out, region);
                out.str(" would widen access");
                break;
            default:
                break;
        }
    }
    if (sink.len != 0) {
        sink.buf[sink.total < sink.len ? sink.total : sink.len - 1] = '\0';
    }
    return sink.total;
}

}  // namespace aarch64_paging
