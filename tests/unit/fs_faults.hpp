// Failures injected into this test program's own calls of pwrite,
// ftruncate, fdatasync and fsync: for faults no file system a test can make
// produces on demand (a flush that fails, then a write over data already in
// the page cache). The program defines these functions itself, so every
// call in it, otpgate_core's included, comes here first; calls no fault is
// planned for go on to the C library unchanged.
#pragma once

namespace otpgate::test {

enum class FsCall { pwrite, ftruncate, fdatasync, fsync };

// After `pass` more calls of `call` succeed, the next `fail` calls fail
// with `error` without doing anything.
void plan_fs_fault(FsCall call, int error, unsigned fail = 1, unsigned pass = 0);

// Forgets every planned fault (a test's fixture calls it in TearDown).
void clear_fs_faults();

// Plans the faults for the lifetime of a scope.
class FsFaults {
public:
    FsFaults() = default;
    ~FsFaults() { clear_fs_faults(); }
    FsFaults(const FsFaults&) = delete;
    FsFaults& operator=(const FsFaults&) = delete;
    void plan(FsCall call, int error, unsigned fail = 1, unsigned pass = 0) {
        plan_fs_fault(call, error, fail, pass);
    }
};

}  // namespace otpgate::test
