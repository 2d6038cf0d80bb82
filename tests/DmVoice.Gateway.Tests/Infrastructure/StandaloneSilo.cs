using System.Globalization;
using DmVoice.Grains.Hosting;
using DmVoice.Grains.Infrastructure;
using DmVoice.TestSupport.Redis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DmVoice.Gateway.Tests.Infrastructure;

/// <summary>
/// A silo in its own host on fixed loopback ports, and the settings that make gateways join it as
/// plain cluster clients. By default it uses localhost clustering and in-memory state; given a
/// <see cref="RedisServer"/>, it runs as production Redis mode does (clustering, state and reminders in
/// that Redis). It can be stopped and started again on the same ports. <paramref name="settings"/> go
/// to the silo and to every gateway started from it (e.g. shorter Orleans timeouts).
/// </summary>
public sealed class StandaloneSilo(
    FakeTimeProvider? callTime = null,
    RedisServer? redis = null,
    IReadOnlyDictionary<string, string?>? settings = null) : IAsyncDisposable
{
    private readonly string _clusterId = "silo-" + Guid.NewGuid().ToString("N")[..8];
    private readonly int _siloPort = TestEnvironment.FreeTcpPort();
    private readonly int _gatewayPort = TestEnvironment.FreeTcpPort();
    private IHost? _host;

    public Dictionary<string, string?> ClusterSettings()
    {
        var values = new Dictionary<string, string?>
        {
            ["Cluster:ClusterId"] = _clusterId,
            ["Cluster:ServiceId"] = _clusterId,
            ["Cluster:SiloPort"] = _siloPort.ToString(CultureInfo.InvariantCulture),
            ["Cluster:GatewayPort"] = _gatewayPort.ToString(CultureInfo.InvariantCulture),
            ["Cluster:EventDelivery"] = TestDelivery.Mode,
        };
        if (redis is not null)
        {
            values["Cluster:Mode"] = "Redis";

            // Commands time out after a second instead of five, so a stalled Redis fails a request
            // well within the test's patience (and within Orleans' response timeout).
            values["ConnectionStrings:Redis"] = redis.ConnectionString + ",asyncTimeout=1000,syncTimeout=1000,connectTimeout=1000";
        }

        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        return values;
    }

    public async Task StartAsync()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = "Development" });
        builder.Configuration.AddInMemoryCollection(ClusterSettings());
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.UseOrleans(silo =>
        {
            silo.UseDmVoiceCluster(builder.Configuration);
            if (callTime is not null)
            {
                // Call deadlines (rings, grace periods) on the test's clock; Orleans keeps real time.
                silo.Services.AddSingleton(new CallClock(callTime));
            }
        });
        _host = builder.Build();
        await _host.StartAsync();
    }

    public async Task StopAsync()
    {
        if (_host is not null)
        {
            await _host.StopAsync();
            _host.Dispose();
            _host = null;
        }
    }

    /// <summary>Starts a gateway that joins this silo instead of hosting its own.</summary>
    public Task<GatewayServer> StartGatewayAsync(Action<Dictionary<string, string?>>? configure = null) => GatewayServer.StartAsync(values =>
    {
        foreach (var (key, value) in ClusterSettings())
        {
            values[key] = value;
        }

        values["Gateway:CoHostSilo"] = "false";
        configure?.Invoke(values);
    });

    public async ValueTask DisposeAsync() => await StopAsync();
}
