#include "aarch64_paging/error.hpp"

#include "aarch64_paging/preflight.hpp"
#include "aarch64_paging/text.hpp"
#include "bounded_text.hpp"

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
        case Status::Preflight: return "pre-flight check failed";
        case Status::Sealed: return "sealed";
    }
    return "unknown status";
}

namespace {

void write_region(TextWriter& out, const MemoryRegion& region) {
    out.chr('[').hex(region.start().value()).str(", ").hex(region.end().value()).chr(')');
}

// Preflight's value: the use in bits 15:8 (CriticalUse), the reasons in bits 7:0, named
// here in the order of their bits.
static_assert(static_cast<int>(CriticalUse::Code) == 1 && static_cast<int>(CriticalUse::Table) == 4 &&
                  preflight_reason::NOT_MAPPED == 1 && preflight_reason::DEVICE == 1u << 4,
              "the names below follow preflight.hpp's values");
void write_preflight(TextWriter& out, const MapError& e) {
    static constexpr const char* uses[] = {"address", "code", "stack", "vector table", "table page"};
    static constexpr const char* reasons[] = {"not mapped", "access flag clear", "not executable",
                                              "not writable", "Device memory"};
    const uint64_t use = (e.value >> 8) & 0xff;
    out.str(": ").str(uses[use < sizeof uses / sizeof uses[0] ? use : 0]).str(" at ").hex(e.va.value());
    const char* sep = ": ";
    for (unsigned i = 0; i < sizeof reasons / sizeof reasons[0]; ++i) {
        if ((e.value & (uint64_t{1} << i)) != 0) {
            out.str(sep).str(reasons[i]);
            sep = ", ";
        }
    }
}

// InvalidArgument's value: the reason in bits 7:0 (argument_reason), its numbers in 31:16
// and 47:32.
void write_argument(TextWriter& out, const MapError& e) {
    const uint64_t first = (e.value >> 16) & 0xffff;
    const uint64_t second = (e.value >> 32) & 0xffff;
    switch (e.value & 0xff) {
        case argument_reason::MMU_ENABLED:
            out.str(": the map was turned on by enable_mmu; turn it off with disable_mmu");
            break;
        case argument_reason::UPPER_ASID:
            out.str(": the upper map's ASID ").dec(first).str(" is not TTBR0's ASID ").dec(second);
            out.str(", which tags its entries (TCR.A1 = 0)");
            break;
        case argument_reason::CODE_NOT_IDENTITY_MAPPED:
            out.str(": the code at ").hex(e.va.value());
            out.str(" is not mapped to itself, and switching tables without ASIDs turns the MMU off");
            break;
        case argument_reason::NEEDS_TTST:
            out.str(": the root level needs T0SZ ").dec(first).str(", above 39, and the CPU lacks FEAT_TTST");
            break;
        default:
            break;
    }
}

}  // namespace

// NOLINTNEXTLINE(readability-non-const-parameter): written through the bounded sink
size_t MapError::format(char* buf, size_t len) const {
    return detail::format_bounded(buf, len, [this](TextWriter& out) {
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
            case Status::Preflight:
                write_preflight(out, *this);
                break;
            case Status::InvalidArgument:
                write_argument(out, *this);
                break;
            case Status::Sealed:
                out.str(": changing bits ").hex(value).str(" in ");
                write_region(out, region);
                out.str(" would widen access");
                break;
            default:
                break;
        }
    });
}

}  // namespace aarch64_paging
