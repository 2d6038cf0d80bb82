using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace DmVoice.TestSupport;

/// <summary>
/// Hands out TCP ports that tests then bind (silos, gateways, redis-server, fakes). Two things made
/// "ask the OS for port 0, close, bind later" fail by chance in CI ("Address already in use"):
/// <list type="bullet">
/// <item>a port from the kernel's ephemeral range is also what every outgoing connection takes as its
/// source port, and the test processes open thousands of them (Redis, HTTP, SignalR, Orleans) between
/// the probe and the bind; so ports come from below that range, where the kernel never autobinds;</item>
/// <item>test assemblies run in parallel processes, each probing on its own; so a port is claimed
/// machine-wide with an exclusive lock on a file named after it, held until the process exits.</item>
/// </list>
/// </summary>
public static class PortReservations
{
    private const int LowestPort = 10_000;

    private static readonly string LockDirectory = Path.Combine(Path.GetTempPath(), "dmvoice-test-ports");

    // The lock files this process holds; closing one would let another process take its port.
    private static readonly ConcurrentDictionary<int, FileStream> Held = new();

    private static readonly Lazy<int> HighestPort = new(() => EphemeralRangeStart() - 1);

    /// <summary>A port free on every one of <paramref name="addresses"/> and reserved for this process.</summary>
    public static int Reserve(params IPAddress[] addresses)
    {
        if (addresses.Length == 0)
        {
            addresses = [IPAddress.Loopback];
        }

        Directory.CreateDirectory(LockDirectory);
        for (var attempt = 0; attempt < 1_000; attempt++)
        {
            var port = Random.Shared.Next(LowestPort, HighestPort.Value + 1);
            if (Held.ContainsKey(port) || !addresses.All(a => CanBind(a, port)) || !TryLock(port))
            {
                continue;
            }

            return port;
        }

        throw new InvalidOperationException(
            $"No port between {LowestPort} and {HighestPort.Value} is free on all of {string.Join(", ", addresses.AsEnumerable())}.");
    }

    private static bool TryLock(int port)
    {
        try
        {
            // FileShare.None takes an exclusive advisory lock (flock on Linux) that dies with the process.
            var file = new FileStream(Path.Combine(LockDirectory, port.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            if (Held.TryAdd(port, file))
            {
                return true;
            }

            file.Dispose();
            return false;
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Whether a TCP socket can bind <paramref name="address"/> (and <paramref name="port"/>; 0 for any) right now.</summary>
    public static bool CanBind(IPAddress address, int port = 0)
    {
        try
        {
            using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(address, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>The first port the kernel may give an outgoing connection (Linux reads it; elsewhere the IANA start).</summary>
    private static int EphemeralRangeStart()
    {
        const string rangeFile = "/proc/sys/net/ipv4/ip_local_port_range";
        try
        {
            if (File.Exists(rangeFile))
            {
                var first = File.ReadAllText(rangeFile).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[0];
                var start = int.Parse(first, System.Globalization.CultureInfo.InvariantCulture);
                if (start > LowestPort + 1_000)
                {
                    return start;
                }
            }
        }
        catch (IOException)
        {
        }
        catch (FormatException)
        {
        }

        return 49_152;
    }
}
