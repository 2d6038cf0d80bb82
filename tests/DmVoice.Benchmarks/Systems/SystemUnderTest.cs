using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace DmVoice.Benchmarks.Systems;

/// <summary>
/// A running server with DmVoice's client contract: POST /dev/token, POST /dm-groups, the
/// voice-presence join / state / leave endpoints and the /hubs/voice SignalR hub with its "sync"
/// method and event names. The load generator cannot tell the systems apart.
/// </summary>
public interface ISystemUnderTest : IAsyncDisposable
{
    string Name { get; }

    string Description { get; }

    Uri BaseAddress { get; }

    /// <summary>The service providers of the system's hosts: their meters are the ones listened to.</summary>
    IReadOnlyList<IServiceProvider> Hosts { get; }

    /// <summary>Every gateway clients may use; the load generator spreads users over them.</summary>
    IReadOnlyList<Uri> Gateways => [BaseAddress];

    /// <summary>
    /// False when the servers run as other processes: then this process's memory and meters hold only
    /// the client side, so the memory rows and the lease window are not measured, and the server
    /// counters are read from <see cref="MetricsAddresses"/> instead.
    /// </summary>
    bool InProcess => true;

    /// <summary>Process ids of the system's servers when they run outside this process (their CPU is measured).</summary>
    IReadOnlyList<int> ServerProcessIds => [];

    /// <summary>
    /// Signs a user's token when the system has no /dev/token (it runs as in production); null: clients
    /// ask POST /dev/token.
    /// </summary>
    Func<string, string>? MintToken => null;

    /// <summary>Out-of-process systems: the longest any of its server processes took from its start to ready.</summary>
    double? SlowestProcessReadySeconds => null;

    /// <summary>The system's redis-server, when it has one: its CPU counts toward the system's CPU per operation.</summary>
    int? RedisProcessId => null;

    /// <summary>Prometheus endpoints of out-of-process servers, read for the server counters instead of listening in-process.</summary>
    IReadOnlyList<Uri> MetricsAddresses => [];
}

internal static class Loopback
{
    /// <summary>Shared by every system, so clients are identical (same HS256 key, issuer and audience).</summary>
    public const string SigningKey = "dmvoice-benchmark-signing-key-0123456789-abcdef";

    public static int FreeTcpPort() => TestSupport.TestEnvironment.FreeTcpPort();

    /// <summary>The public address (a DmVoice gateway also listens on its management port, which serves only metrics and probes).</summary>
    public static Uri Address(WebApplication app)
    {
        var management = app.Services.GetService<DmVoice.Gateway.Hosting.GatewayManagement>();
        return app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
            .Select(a => new Uri(a))
            .First(a => management?.Ports.Contains(a.Port) != true);
    }
}
