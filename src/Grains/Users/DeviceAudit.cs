namespace DmVoice.Grains.Users;

/// <summary>
/// The device audit's decisions, plain code: presence heals itself even when a message that should have
/// ended it was lost (a device's close that could not be stored while storage was down for minutes, a
/// lease's "gateway lost" notice that went down with a silo). The user grain asks each gateway its
/// user's devices are on: its lease (is it alive, and does it still track this user?) and the gateway
/// itself (which of the user's connections does it really hold?). From those answers this decides what
/// to forget: whatever neither vouches for, exactly as if its close had arrived, so the disconnect grace
/// takes it from there. A gateway that cannot answer just now keeps its devices: its lease is the
/// authority on whether it lives.
/// </summary>
public static class DeviceAudit
{
    /// <summary>
    /// Whether an audit is due: at activation whatever the seat (the devices are the user's online status
    /// too); later only while seated (the user grain of someone who is only online may be collected, and
    /// audits again when it comes back). Never without a connected device.
    /// </summary>
    public static bool IsDue(bool anyConnected, bool atActivation, bool seated) => anyConnected && (atActivation || seated);

    /// <summary>The gateways whose lease no longer tracks the user: each is lost as a whole, with its devices.</summary>
    public static IEnumerable<(string GatewayId, string[] Devices)> LostGateways(UserDevices devices, IEnumerable<GatewayAudit> findings) =>
        findings.Where(f => f.LeaseLost).Select(f => (f.GatewayId, devices.OnGateway(f.GatewayId)));

    /// <summary>The connections on gateways that answered but do not hold them: their close never arrived.</summary>
    public static string[] Closed(UserDevices devices, IEnumerable<GatewayAudit> findings) =>
        findings.Where(f => f.Held is not null).SelectMany(f => devices.NotHeld(f.GatewayId, f.Held!)).ToArray();
}

/// <summary>What one gateway vouches for: nothing (its lease ended or forgot the user), the connections it holds, or no answer (<see cref="Held"/> null).</summary>
public sealed record GatewayAudit(string GatewayId, bool LeaseLost, IReadOnlySet<string>? Held);
