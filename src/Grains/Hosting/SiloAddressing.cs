using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace DmVoice.Grains.Hosting;

/// <summary>
/// Where a silo in Redis mode can be reached (advertised to other silos and to gateways through the
/// membership table) and where it listens.
/// </summary>
/// <param name="Advertised">The address written to the membership table.</param>
/// <param name="Source">Where <paramref name="Advertised"/> came from, for the start-up log.</param>
/// <param name="Listen">The local address the silo and gateway ports are bound to.</param>
public sealed record SiloAddressing(IPAddress Advertised, string Source, IPAddress Listen)
{
    /// <summary>Set by Kubernetes' downward API (<c>status.podIP</c>); the name Orleans' Kubernetes hosting reads too.</summary>
    public const string PodIPVariable = "POD_IP";

    /// <summary>
    /// The advertised address is the first of: <c>Cluster:AdvertisedIPAddress</c>, <c>POD_IP</c>, the
    /// host's first non-loopback IPv4 address, loopback. The silo listens on every interface unless
    /// <c>Cluster:ListenOnAnyAddress=false</c>, in which case it binds the advertised address only.
    /// </summary>
    public static SiloAddressing Resolve(DmVoiceClusterOptions options, Func<string, string?> environment, Func<IEnumerable<IPAddress>> hostAddresses)
    {
        var (advertised, source) = ChooseAdvertised(options, environment, hostAddresses);
        var listen = !options.ListenOnAnyAddress
            ? advertised
            : advertised.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any;
        return new SiloAddressing(advertised, source, listen);
    }

    /// <summary>This machine's addresses on interfaces that are up, in the order the system lists them.</summary>
    public static IEnumerable<IPAddress> HostAddresses() =>
        NetworkInterface.GetAllNetworkInterfaces()
            .Where(i => i.OperationalStatus == OperationalStatus.Up)
            .SelectMany(i => i.GetIPProperties().UnicastAddresses.Select(a => a.Address));

    /// <summary>
    /// A literal IPv4 (four dotted numbers) or IPv6 address that can be advertised: not "any", not
    /// broadcast or multicast. Stricter than <see cref="IPAddress.TryParse(string, out IPAddress)"/>,
    /// which reads "10.1" as 10.0.0.1 and would turn a typo into a wrong but valid address.
    /// </summary>
    public static bool TryParseAddress(string text, out IPAddress address)
    {
        address = IPAddress.None;
        text = text.Trim();
        var looksRight = text.Contains(':', StringComparison.Ordinal)
            || (text.Split('.') is { Length: 4 } parts && parts.All(p => p.Length is >= 1 and <= 3 && p.All(char.IsAsciiDigit)));
        if (!looksRight || !IPAddress.TryParse(text, out var parsed))
        {
            return false;
        }

        if (parsed.Equals(IPAddress.Any) || parsed.Equals(IPAddress.IPv6Any) || parsed.Equals(IPAddress.Broadcast) || IsMulticast(parsed))
        {
            return false;
        }

        address = parsed;
        return true;
    }

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"advertises {Advertised} ({Source}), listens on {Listen}");

    private static (IPAddress Address, string Source) ChooseAdvertised(
        DmVoiceClusterOptions options, Func<string, string?> environment, Func<IEnumerable<IPAddress>> hostAddresses)
    {
        if (options.AdvertisedIPAddress is { Length: > 0 } configured)
        {
            return TryParseAddress(configured, out var address)
                ? (address, "Cluster:AdvertisedIPAddress")
                : throw new InvalidOperationException($"Cluster:AdvertisedIPAddress '{configured}' is not an IP address other silos can reach.");
        }

        if (environment(PodIPVariable) is { Length: > 0 } podIp)
        {
            return TryParseAddress(podIp, out var pod)
                ? (pod, PodIPVariable)
                : throw new InvalidOperationException($"{PodIPVariable} '{podIp}' is not an IP address; set it from the pod's status.podIP, or set Cluster:AdvertisedIPAddress.");
        }

        var hostAddress = hostAddresses().FirstOrDefault(a =>
            a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a) && !IsLinkLocalV4(a));
        return hostAddress is not null
            ? (hostAddress, "the host's first non-loopback IPv4 address")
            : (IPAddress.Loopback, "loopback: the host has no other IPv4 address");
    }

    private static bool IsLinkLocalV4(IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetwork && address.GetAddressBytes() is [169, 254, ..];

    private static bool IsMulticast(IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetworkV6
            ? address.IsIPv6Multicast
            : address.GetAddressBytes()[0] is >= 224 and <= 239;
}
