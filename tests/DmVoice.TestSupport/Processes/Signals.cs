using System.ComponentModel;
using System.Runtime.InteropServices;

namespace DmVoice.TestSupport.Processes;

/// <summary>
/// POSIX signals to a process: .NET can only send SIGKILL itself. The numbers are Linux's; the
/// process harness needs Linux anyway (every 127.0.0.0/8 address is local there).
/// </summary>
public static partial class Signals
{
    public const int Kill = 9;
    public const int Terminate = 15;
    public const int Continue = 18;
    public const int Stop = 19;

    public static void Send(int processId, int signal)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("Sending signals is implemented for Linux only.");
        }

        if (SendSignal(processId, signal) != 0)
        {
            throw new Win32Exception(Marshal.GetLastPInvokeError(), $"kill({processId}, {signal}) failed");
        }
    }

    /// <summary>
    /// Whether the process is stopped by a signal: state 'T' in /proc/&lt;pid&gt;/stat. A signal is
    /// delivered after kill(2) returns, so callers wait for this rather than assume it.
    /// </summary>
    public static bool IsStopped(int processId)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{processId}/stat");
            // "pid (command) state …": the command may hold spaces and parentheses, so read after the last ')'.
            return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('T');
        }
        catch (IOException)
        {
            return false;
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SendSignal(int pid, int sig);
}
