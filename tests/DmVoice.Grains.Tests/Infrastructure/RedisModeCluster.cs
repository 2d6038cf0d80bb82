using DmVoice.TestSupport.Orleans;
using DmVoice.Grains.Hosting;
using DmVoice.Grains.Infrastructure;
using DmVoice.TestSupport.Redis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace DmVoice.Tests.Infrastructure;

/// <summary>
/// Real silo processes' worth of hosting, configured exactly as production Redis mode
/// (clustering, grain storage, reminders and stream subscriptions in a private redis-server),
/// talking TCP on loopback. Silos can be stopped and fresh ones started on the same Redis.
/// </summary>
public sealed class RedisModeCluster : IAsyncDisposable
{
    private readonly List<IHost> _silos = [];
    private readonly string _clusterId = "test-" + Guid.NewGuid().ToString("N")[..8];
    private IHost? _client;

    private readonly IReadOnlyDictionary<string, string?> _extraSettings;

    private RedisModeCluster(RedisServer redis, IReadOnlyDictionary<string, string?>? extraSettings)
    {
        Redis = redis;
        _extraSettings = extraSettings ?? new Dictionary<string, string?>();
    }

    public RedisServer Redis { get; }

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));

    public IClusterClient Client => _client?.Services.GetRequiredService<IClusterClient>()
        ?? throw new InvalidOperationException("No client started");

    /// <summary>The services of a running silo (e.g. its reminder table), for checks clients cannot make.</summary>
    public IServiceProvider SiloServices(int index = 0)
    {
        lock (_silos)
        {
            return _silos[index].Services;
        }
    }

    /// <param name="settings">More settings for silos and client (e.g. LiveKit's, the Push section).</param>
    public static async Task<RedisModeCluster> StartAsync(int silos = 2, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var redis = await RedisServer.StartAsync();
        var cluster = new RedisModeCluster(redis, settings);
        await cluster.StartSilosAsync(silos);
        await cluster.StartClientAsync();
        return cluster;
    }

    /// <summary>A silo's settings with its ports, or a client's (no ports: a Redis-mode client finds the silos in Redis).</summary>
    public IConfiguration Configuration(int? siloPort = null, int? gatewayPort = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Cluster:Mode"] = "Redis",
            ["Cluster:ClusterId"] = _clusterId,
            ["Cluster:ServiceId"] = _clusterId,

            // Everything stays on this machine's loopback, whatever networks it has.
            ["Cluster:AdvertisedIPAddress"] = "127.0.0.1",
            ["Cluster:ListenOnAnyAddress"] = "false",
            ["ConnectionStrings:Redis"] = Redis.ConnectionString,

            // As in GrainClusterFixture: participants here join without a device.
            ["Calls:DisconnectGrace"] = GrainClusterFixture.DisconnectGrace.ToString(),
        };
        foreach (var (key, value) in _extraSettings)
        {
            settings[key] = value;
        }

        if (siloPort is { } silo && gatewayPort is { } gateway)
        {
            settings["Cluster:SiloPort"] = silo.ToString();
            settings["Cluster:GatewayPort"] = gateway.ToString();
        }

        return new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
    }

    public async Task StartSilosAsync(int count)
    {
        var starting = Enumerable.Range(0, count).Select(_ => Task.Run(async () =>
        {
            var config = Configuration(TestEnvironment.FreeTcpPort(), TestEnvironment.FreeTcpPort());
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = "Development" });
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.UseOrleans(silo =>
            {
                silo.UseDmVoiceCluster(config);
                silo.Services.AddSingleton(new CallClock(Time));
            });
            var host = builder.Build();
            await host.StartAsync();
            return host;
        })).ToArray();
        var hosts = await Task.WhenAll(starting);
        lock (_silos)
        {
            _silos.AddRange(hosts);
        }
    }

    public async Task StartClientAsync()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = "Development" });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.UseOrleansClient(client => client.UseDmVoiceCluster(Configuration()));
        _client = builder.Build();
        await _client.StartAsync();
    }

    /// <summary>Stops the client and every silo gracefully; state stays in Redis.</summary>
    public async Task StopAllAsync()
    {
        if (_client is not null)
        {
            await _client.StopAsync();
            _client.Dispose();
            _client = null;
        }

        foreach (var silo in _silos)
        {
            await silo.StopAsync();
            silo.Dispose();
        }

        _silos.Clear();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAllAsync();
        }
        finally
        {
            await Redis.DisposeAsync();
        }
    }
}
