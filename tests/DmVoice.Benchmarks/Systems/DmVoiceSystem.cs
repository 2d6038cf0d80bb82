using System.Globalization;
using DmVoice.Gateway;
using DmVoice.Grains.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DmVoice.Benchmarks.Systems;

/// <summary>
/// The real DmVoice: <see cref="GatewayApp.Build"/> co-hosting its silo (embedded default), or in
/// Redis mode a silo host plus the gateway as a plain cluster client, both on a private redis-server.
/// The event-delivery mode is the setting <c>Cluster:EventDelivery</c> (Direct or Streams).
/// </summary>
public sealed class DmVoiceSystem : ISystemUnderTest
{
    private readonly WebApplication _gateway;
    private readonly IHost? _silo;
    private readonly RedisServer? _redis;

    private DmVoiceSystem(string name, string description, WebApplication gateway, IHost? silo, RedisServer? redis)
    {
        Name = name;
        Description = description;
        _gateway = gateway;
        _silo = silo;
        _redis = redis;
        BaseAddress = Loopback.Address(gateway);
    }

    public string Name { get; }

    public string Description { get; }

    public Uri BaseAddress { get; }

    public IReadOnlyList<IServiceProvider> Hosts => _silo is null ? [_gateway.Services] : [_gateway.Services, _silo.Services];

    public int? RedisProcessId => _redis?.ProcessId;

    /// <summary>
    /// Whether this build of DmVoice has a setting named EventDelivery anywhere in its gateway or grain
    /// assemblies. Until it has, Cluster:EventDelivery is ignored and both delivery columns run streams.
    /// </summary>
    public static bool DeliverySettingKnown { get; } =
        new[] { typeof(DmVoiceClusterOptions).Assembly, typeof(GatewayApp).Assembly }
            .SelectMany(a => a.GetExportedTypes())
            .Any(t => t.GetProperty("EventDelivery") is not null);

    /// <summary>The settings every DmVoice run gets before <c>--set</c> / variant overrides.</summary>
    public static Dictionary<string, string> BaseSettings() => new(StringComparer.OrdinalIgnoreCase)
    {
        ["Cluster:SiloPort"] = Loopback.FreeTcpPort().ToString(CultureInfo.InvariantCulture),
        ["Cluster:GatewayPort"] = Loopback.FreeTcpPort().ToString(CultureInfo.InvariantCulture),
        ["Cluster:ClusterId"] = "bench-" + Guid.NewGuid().ToString("N")[..8],
        ["Auth:SigningKey"] = Loopback.SigningKey,
        ["Auth:EnableDevTokens"] = "true",
        // Benchmark users make far more requests than a person would.
        ["Gateway:RequestsPerMinute"] = "100000000",
        // Each benchmark call starts again every few seconds between the same members, so each starter
        // rings the same recipient far more often than the per-caller limit lets a person (5 a minute):
        // at the default, most starts would ring nobody and end at once (rate_limited). The limit has its
        // own tests; here it is set to the highest values the options allow (the light phase's calls ring
        // each other a few hundred times a minute; at 100 a minute some of its starts were refused).
        ["Calls:RingsPerCallerPerMinute"] = "1000",
        ["Calls:RingsPerCallerPerHour"] = "10000",
        // Setting up thousands of DMs between few users is not a person's pace either.
        ["Calls:DmsCreatedPerMinute"] = "100000",
        // "Call ended" follows the last leave at once, so a call cycle ends with a measurable event.
        ["Calls:EmptyCallGrace"] = "00:00:00",
        ["Logging:LogLevel:Default"] = "Warning",
        ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
        ["Logging:LogLevel:Orleans"] = "Warning",
    };

    public static async Task<DmVoiceSystem> StartAsync(string name, IReadOnlyDictionary<string, string> overrides, string? redisServer)
    {
        var settings = BaseSettings();
        RedisServer? redis = null;
        if (redisServer is not null)
        {
            redis = await RedisServer.StartAsync(redisServer);
            settings["Cluster:Mode"] = DmVoiceClusterOptions.RedisClustering;
            settings["ConnectionStrings:Redis"] = redis.ConnectionString;
            settings["Cluster:AdvertisedIPAddress"] = "127.0.0.1";
            settings["Cluster:ListenOnAnyAddress"] = "false";
            settings["Gateway:CoHostSilo"] = "false";
        }

        foreach (var (key, value) in overrides)
        {
            settings[key] = value;
        }

        // Development: the only environment that serves dev tokens, which the load's clients sign in with.
        var args = new List<string> { "--urls", "http://127.0.0.1:0", "--environment", "Development" };
        args.Add($"--Gateway:ManagementUrls=http://127.0.0.1:{Loopback.FreeTcpPort()}");
        args.AddRange(settings.Select(kv => $"--{kv.Key}={kv.Value}"));

        IHost? silo = null;
        try
        {
            if (redis is not null)
            {
                var siloBuilder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
                {
                    Args = [.. args.Skip(2)],
                    ContentRootPath = AppContext.BaseDirectory,
                });
                siloBuilder.Logging.ClearProviders().AddSimpleConsole(o => o.SingleLine = true);
                siloBuilder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10));
                siloBuilder.UseOrleans(s => s.UseDmVoiceCluster(siloBuilder.Configuration));
                silo = siloBuilder.Build();
                await silo.StartAsync();
            }

            var gateway = GatewayApp.Build([.. args], builder =>
                builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10)));
            await gateway.StartAsync();
            var delivery = settings.GetValueOrDefault(DeliveryModes.Setting, "(product default)");
            var description = redis is null
                ? $"DmVoice gateway co-hosting its silo (localhost clustering, in-memory storage), {DeliveryModes.Setting}={delivery}"
                : $"DmVoice in Redis mode: silo host + gateway as cluster client, private redis-server, {DeliveryModes.Setting}={delivery}";
            var extra = overrides.Where(kv => !string.Equals(kv.Key, DeliveryModes.Setting, StringComparison.OrdinalIgnoreCase)).ToList();
            if (extra.Count > 0)
            {
                description += "; overrides: " + string.Join(", ", extra.Select(kv => $"{kv.Key}={kv.Value}"));
            }

            return new DmVoiceSystem(name, description, gateway, silo, redis);
        }
        catch
        {
            if (silo is not null)
            {
                await silo.StopAsync();
                silo.Dispose();
            }

            if (redis is not null)
            {
                await redis.DisposeAsync();
            }

            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _gateway.StopAsync();
        await _gateway.DisposeAsync();
        if (_silo is not null)
        {
            await _silo.StopAsync();
            _silo.Dispose();
        }

        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }
    }
}
