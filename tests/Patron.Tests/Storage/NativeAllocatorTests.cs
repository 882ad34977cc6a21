using System.Runtime.InteropServices;
using Patron.Storage;
using Shouldly;

namespace Patron.Tests.Storage;

public sealed class NativeAllocatorTests
{
    [Fact]
    public void On_Linux_with_glibc_the_allocator_is_told_to_give_large_blocks_back_and_elsewhere_nothing_is_changed()
    {
        var glibc = OperatingSystem.IsLinux() && !RuntimeInformation.RuntimeIdentifier.Contains("musl", StringComparison.Ordinal);

        NativeAllocator.TuneAllocator().ShouldBe(glibc);
        NativeAllocator.TuneAllocator().ShouldBe(glibc); // once per process; asking again changes nothing
    }
}
