using System.Net;

namespace DmVoice.TestSupport.Processes;

/// <summary>
/// Addresses in 127.0.0.0/8 that stand in for separate hosts: on Linux every one of them is local,
/// so processes bound to 127.7.3.2 and 127.7.3.3 can use the same ports, as two machines would.
/// </summary>
public sealed class LoopbackAddresses
{
    private LoopbackAddresses(byte second, byte third)
    {
        Second = second;
        Third = third;
    }

    public byte Second { get; }

    public byte Third { get; }

    /// <summary>
    /// A block 127.x.y.0/24 of its own (x, y random), so test runs that share a machine rarely
    /// meet on an address. Skips the test (fails it under CI=true) where such addresses cannot be bound.
    /// </summary>
    public static LoopbackAddresses Reserve()
    {
        var block = new LoopbackAddresses((byte)Random.Shared.Next(1, 255), (byte)Random.Shared.Next(0, 256));
        TestEnvironment.Require(
            OperatingSystem.IsLinux() && PortReservations.CanBind(block.Host(2)),
            $"binding {block.Host(2)} is not possible here (Linux routes all of 127.0.0.0/8 to the loopback interface; other systems need aliases), and the process harness needs Linux signals");
        return block;
    }

    /// <summary>127.x.y.<paramref name="last"/>; 1 is avoided by convention (2 and up).</summary>
    public IPAddress Host(int last) => new([127, Second, Third, checked((byte)last)]);

    /// <summary>A TCP port that is free on every one of <paramref name="addresses"/> at once, reserved for this process.</summary>
    public static int FreePort(params IPAddress[] addresses) => PortReservations.Reserve(addresses);
}
