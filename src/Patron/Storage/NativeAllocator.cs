using System.Runtime.InteropServices;

namespace Patron.Storage;

/// <summary>
/// Keeps the C allocator from holding on to memory SQLite has freed. glibc serves a large request
/// (a bulk statement's bound text and its parsed JSON, megabytes each) from a fresh mapping, but after the
/// first such block is freed it raises that threshold to the block's size, so the next ones are carved
/// from its heaps and stay in the process after they are freed (importing 100,000 customers, about 50 MB
/// of a 320 MB peak: docs/PERFORMANCE.md). A fixed threshold returns every large block to the system as
/// soon as it is freed. Elsewhere (musl, other systems) nothing is changed.
/// </summary>
public static class NativeAllocator
{
    private const int MmapThreshold = -3; // M_MMAP_THRESHOLD in glibc's malloc.h
    private const int LargeBlockBytes = 256 * 1024;
    private static readonly Lazy<bool> Tuned = new(Tune);

    /// <summary>Fixes glibc's mapping threshold, once per process; true when it is fixed (on Linux with glibc).</summary>
    public static bool TuneAllocator() => Tuned.Value;

    private static bool Tune()
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }
        try
        {
            return Mallopt(MmapThreshold, LargeBlockBytes) == 1;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    // DllImport rather than LibraryImport: the generated form needs unsafe code enabled, and int in, int out needs no marshalling.
#pragma warning disable SYSLIB1054
    [DllImport("libc.so.6", EntryPoint = "mallopt", ExactSpelling = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Mallopt(int parameter, int value);
#pragma warning restore SYSLIB1054
}
