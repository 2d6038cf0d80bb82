using System.Runtime.InteropServices;

namespace DmVoice.Benchmarks.IdleConnections;

/// <summary>
/// The open-file limit (RLIMIT_NOFILE) of this process, which the gateway and silo processes it starts
/// inherit. Every connection is a socket on each side: N clients need N descriptors here and N in the
/// gateway, plus what the runtime and the cluster use.
/// </summary>
public static class FileLimit
{
    private const int RlimitNoFile = 7; // Linux

    /// <summary>The soft and hard limits now, or null where they cannot be read (not Linux).</summary>
    public static (ulong Soft, ulong Hard)? Current()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        var limit = default(RLimit);
        return getrlimit(RlimitNoFile, ref limit) == 0 ? (limit.Current, limit.Max) : null;
    }

    /// <summary>
    /// Raises the soft limit (and the hard one, which only a privileged process may) to at least
    /// <paramref name="needed"/>. Returns the soft limit afterwards and, when it is still too low, why.
    /// </summary>
    public static (ulong Soft, string? Problem) Ensure(ulong needed)
    {
        if (Current() is not var (soft, hard))
        {
            return (0, null);
        }

        if (soft >= needed)
        {
            return (soft, null);
        }

        var wanted = new RLimit { Current = needed, Max = Math.Max(hard, needed) };
        if (setrlimit(RlimitNoFile, ref wanted) != 0)
        {
            // Unprivileged: the soft limit can still go up to the hard one.
            var capped = new RLimit { Current = hard, Max = hard };
            _ = setrlimit(RlimitNoFile, ref capped);
        }

        var now = Current()!.Value;
        return now.Soft >= needed
            ? (now.Soft, null)
            : (now.Soft, $"the open-file limit is {now.Soft} (hard {now.Hard}) and this run needs about {needed}: raise it (ulimit -Hn {needed}; ulimit -n {needed}) or connect fewer clients");
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int getrlimit(int resource, ref RLimit limit);

    [DllImport("libc", SetLastError = true)]
    private static extern int setrlimit(int resource, ref RLimit limit);

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Current;
        public ulong Max;
    }
}
