using DmVoice.Gateway;
using DmVoice.Gateway.Hosting;
using DmVoice.Gateway.Realtime;
using DmVoice.Grains.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace DmVoice.Gateway.Tests.Infrastructure;

/// <summary>
/// The real gateway on a free loopback port: by default co-hosting its own silo (the embedded
/// default), with call deadlines on a fake clock the test advances.
/// </summary>
public sealed class GatewayServer : IAsyncDisposable
{
    public const string SigningKey = "gateway-tests-signing-key-0123456789-abcdef";

    private readonly WebApplication _app;

    private GatewayServer(WebApplication app, Uri baseAddress, Uri managementAddress, FakeTimeProvider time)
    {
        _app = app;
        BaseAddress = baseAddress;
        ManagementAddress = managementAddress;
        Time = time;
    }

    /// <summary>The public port: REST, the hub, health probes.</summary>
    public Uri BaseAddress { get; }

    /// <summary>The management port (<c>Gateway:ManagementUrls</c>): metrics and health probes only.</summary>
    public Uri ManagementAddress { get; }

    /// <summary>Where this gateway serves Prometheus metrics.</summary>
    public Uri MetricsAddress => new(ManagementAddress, "/metrics");

    public FakeTimeProvider Time { get; }

    public IServiceProvider Services => _app.Services;

    public static Dictionary<string, string?> DefaultSettings() => new()
    {
        ["Cluster:SiloPort"] = TestEnvironment.FreeTcpPort().ToString(),
        ["Cluster:GatewayPort"] = TestEnvironment.FreeTcpPort().ToString(),
        ["Gateway:ManagementUrls"] = $"http://127.0.0.1:{TestEnvironment.FreeTcpPort()}",
        ["Cluster:ClusterId"] = "gw-" + Guid.NewGuid().ToString("N")[..8],
        ["Cluster:EventDelivery"] = TestDelivery.Mode,
        ["Auth:SigningKey"] = SigningKey,
        ["Auth:EnableDevTokens"] = "true",
        ["Calls:RingTimeout"] = "00:00:30",
        ["Calls:EmptyCallGrace"] = "00:00:10",
        ["Calls:DisconnectGrace"] = "00:00:30",
        ["Logging:LogLevel:Default"] = "Warning",
    };

    /// <param name="services">More services for the gateway and its co-hosted silo (e.g. <see cref="GrainFaults"/>).</param>
    public static async Task<GatewayServer> StartAsync(
        Action<Dictionary<string, string?>>? settings = null,
        string environment = "Development",
        FakeTimeProvider? time = null,
        Action<IServiceCollection>? services = null)
    {
        var values = DefaultSettings();
        settings?.Invoke(values);
        var args = new List<string> { "--urls", "http://127.0.0.1:0", "--environment", environment };
        args.AddRange(values.Where(kv => kv.Value is not null).Select(kv => $"--{kv.Key}={kv.Value}"));

        time ??= new FakeTimeProvider(DateTimeOffset.UtcNow);
        var app = GatewayApp.Build([.. args], builder =>
        {
            builder.Services.AddSingleton(new CallClock(time));
            services?.Invoke(builder.Services);
        });
        try
        {
            await app.StartAsync();
        }
        catch
        {
            // A gateway that refused to start (a setting out of range) must not keep its ports.
            await app.DisposeAsync();
            throw;
        }

        var management = app.Services.GetRequiredService<GatewayManagement>();
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Select(a => new Uri(a)).ToArray();
        return new GatewayServer(
            app,
            addresses.First(a => !management.Ports.Contains(a.Port)),
            addresses.First(a => management.Ports.Contains(a.Port)),
            time);
    }

    /// <summary>
    /// Waits until the gateway has processed the user's last disconnect (a client's StopAsync
    /// returns before the server has), so fake time can be advanced past it safely.
    /// </summary>
    public Task WaitUntilOfflineAsync(string userId) =>
        Eventually.TrueAsync(() => !Services.GetRequiredService<ConnectionRegistry>().IsListening(userId), $"{userId} to be offline");

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
