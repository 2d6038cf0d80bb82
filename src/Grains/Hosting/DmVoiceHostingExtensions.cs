using System.Net;
using DmVoice.Grains.Events;
using DmVoice.Grains.Infrastructure;
using DmVoice.Grains.LiveKit;
using DmVoice.Grains.Push;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Runtime.GrainDirectory;
using Orleans.Runtime.Hosting;
using Orleans.Hosting;
using Orleans.Serialization;
using Orleans.Storage;
using StackExchange.Redis;

namespace DmVoice.Grains.Hosting;

/// <summary>The one place that turns configuration into a DmVoice silo or cluster client.</summary>
public static class DmVoiceHostingExtensions
{
    /// <summary>
    /// Clustering, storage, reminders and streams for a silo: in-memory on localhost by default,
    /// Redis when <c>Cluster:Mode=Redis</c>.
    /// </summary>
    public static ISiloBuilder UseDmVoiceCluster(this ISiloBuilder silo, IConfiguration configuration)
    {
        var cluster = DmVoiceClusterOptions.From(configuration);

        // Checked here, not only on start: Orleans turns these settings into its own options while the
        // host is being built, and a wrong address should be reported as such, not as a socket error.
        cluster.ThrowIfInvalid();
        silo.Services.AddOptions<DmVoiceClusterOptions>().Bind(configuration.GetSection(DmVoiceClusterOptions.SectionName)).ValidateOnStart();
        silo.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DmVoiceClusterOptions>, DmVoiceClusterOptionsValidator>());
        silo.Services.Configure<ClusterMembershipOptions>(configuration.GetSection(DmVoiceClusterOptions.MembershipSectionName));
        silo.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = cluster.ClusterId;
            o.ServiceId = cluster.ServiceId;
        });
        silo.Configure<SiloMessagingOptions>(o => o.ClientDropTimeout = cluster.ClientDropTimeout);

        if (cluster.UsesRedis)
        {
            var redis = RedisConnectionString(configuration);
            silo.UseRedisClustering(o => o.ConfigurationOptions = RedisOptions(redis));
            var addressing = SiloAddressing.Resolve(cluster, Environment.GetEnvironmentVariable, SiloAddressing.HostAddresses);
            silo.Services.AddSingleton(addressing);
            silo.Configure<EndpointOptions>(o =>
            {
                o.AdvertisedIPAddress = addressing.Advertised;
                o.SiloPort = cluster.SiloPort;
                o.GatewayPort = cluster.GatewayPort;
                o.SiloListeningEndpoint = new IPEndPoint(addressing.Listen, cluster.SiloPort);
                o.GatewayListeningEndpoint = new IPEndPoint(addressing.Listen, cluster.GatewayPort);
            });
            silo.AddRedisGrainStorage(StorageNames.Default, o => o.ConfigurationOptions = RedisOptions(redis));
            silo.AddRedisGrainStorage(VoiceStreams.PubSubStore, o => o.ConfigurationOptions = RedisOptions(redis));
            silo.UseRedisReminderService(o => o.ConfigurationOptions = RedisOptions(redis));
            if (cluster.UsesStreams)
            {
                silo.AddRedisGrainDirectory(StreamQueueDirectory.Name, o => o.ConfigurationOptions = RedisOptions(redis));
                silo.Services.AddSingleton<IGrainDirectoryResolver, StreamQueueDirectory>();
            }

            silo.Services.PostConfigure<CallOptions>(o => o.DurableDeadlines = true);
        }
        else
        {
            silo.UseLocalhostClustering(cluster.SiloPort, cluster.GatewayPort, serviceId: cluster.ServiceId, clusterId: cluster.ClusterId);
            silo.AddDmVoiceInMemoryStorage();
        }

        return silo.AddDmVoiceGrains(configuration);
    }

    /// <summary>
    /// In-memory grain storage, reminders and stream subscriptions (embedded default and tests). The
    /// silos of one process may share <paramref name="store"/>, as they would share a Redis server.
    /// </summary>
    public static ISiloBuilder AddDmVoiceInMemoryStorage(this ISiloBuilder silo, InProcessStateStore? store = null)
    {
        store ??= new InProcessStateStore();
        foreach (var name in new[] { StorageNames.Default, VoiceStreams.PubSubStore })
        {
            silo.Services.AddGrainStorage(name, (sp, provider) => InProcessGrainStorage.Create(sp, provider, store));
        }

        silo.UseInMemoryReminderService();
        return silo;
    }

    /// <summary>Grain services, options and event delivery, independent of clustering and storage.</summary>
    public static ISiloBuilder AddDmVoiceGrains(this ISiloBuilder silo, IConfiguration configuration)
    {
        var cluster = DmVoiceClusterOptions.From(configuration);
        if (cluster.UsesStreams)
        {
            silo.AddMemoryStreams(VoiceStreams.ProviderName, streams =>
            {
                streams.ConfigurePartitioning(cluster.StreamQueueCount);
                streams.ConfigurePullingAgent(agent => agent.Configure(o => o.GetQueueMsgsTimerPeriod = cluster.StreamPollingPeriod));
                streams.ConfigureCacheEviction(eviction => eviction.Configure(o =>
                {
                    o.DataMinTimeInCache = cluster.StreamCacheRetention;
                    o.DataMaxAgeInCache = cluster.StreamCacheRetention * 4;
                }));
            });
        }

        var services = silo.Services;
        services.TryAddSingleton(Options.Create(cluster));
        services.AddOptions<CallOptions>()
            .Bind(configuration.GetSection(CallOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CallOptions>, CallOptionsValidator>());
        services.AddOptions<ChannelOptions>()
            .Bind(configuration.GetSection(ChannelOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ChannelOptions>, ChannelOptionsValidator>());
        services.TryAddSingleton(CallClock.System);
        CachedGrainInterfaceTypes.AddTo(services);

        // Every storage provider that is not given a serializer of its own stores state with this one.
        services.Replace(ServiceDescriptor.Singleton<IGrainStorageSerializer>(sp => new GrainStateSerializer(
            sp.GetRequiredService<Serializer>(),
            ActivatorUtilities.GetServiceOrCreateInstance<JsonGrainStorageSerializer>(sp),
            writeJson: cluster.WritesJsonState)));
        services.TryAddSingleton(TimeProvider.System);

        // A gateway co-hosted with this silo registers here and is handed its deliveries directly.
        services.TryAddSingleton<LocalGateways>();
        if (LiveKitRegistration.IsConfigured(configuration))
        {
            // Queue + worker for RoomService commands, and the connection services the co-hosted gateway shares.
            services.AddDmVoiceLiveKitSilo(configuration);
        }

        services.AddDmVoicePush(configuration);
        services.AddMetrics();
        services.TryAddSingleton<CallMetrics>();
        services.TryAddSingleton<RoomServices>();
        services.TryAddSingleton<PresenceMetrics>();
        services.TryAddSingleton<GrainCallMetrics>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IIncomingGrainCallFilter, GrainCallMetrics>(sp => sp.GetRequiredService<GrainCallMetrics>()));
        return silo;
    }

    /// <summary>How an Orleans client (the gateway, tools) finds the silos and their streams.</summary>
    public static IClientBuilder UseDmVoiceCluster(this IClientBuilder client, IConfiguration configuration)
    {
        var cluster = DmVoiceClusterOptions.From(configuration);
        if (!cluster.UsesRedis && !string.Equals(cluster.Mode, DmVoiceClusterOptions.LocalhostClustering, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"Cluster:Mode '{cluster.Mode}' is not known; use 'Localhost' or 'Redis'.");
        }

        client.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = cluster.ClusterId;
            o.ServiceId = cluster.ServiceId;
        });
        client.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = cluster.GatewayListRefreshPeriod);
        CachedGrainInterfaceTypes.AddTo(client.Services);
        if (cluster.UsesRedis)
        {
            client.UseRedisClustering(o => o.ConfigurationOptions = RedisOptions(RedisConnectionString(configuration)));
        }
        else
        {
            client.UseLocalhostClustering(cluster.GatewayPort, serviceId: cluster.ServiceId, clusterId: cluster.ClusterId);
        }

        if (cluster.UsesStreams)
        {
            client.AddMemoryStreams(VoiceStreams.ProviderName, streams => streams.ConfigurePartitioning(cluster.StreamQueueCount));
        }

        client.Services.TryAddSingleton(Options.Create(cluster));
        return client;
    }

    /// <summary>
    /// Every Redis connection of a silo or gateway: its I/O completes on the .NET thread pool rather than
    /// on the Redis client's own dedicated threads, which were a fifth of a silo's sampled thread time
    /// under the scaled-out load, most of it waiting for work (docs/BENCHMARKS.md, "Where the scaled-out CPU goes").
    /// </summary>
    private static ConfigurationOptions RedisOptions(string connectionString)
    {
        var options = ConfigurationOptions.Parse(connectionString);
        options.SocketManager = SocketManager.ThreadPool;
        return options;
    }

    private static string RedisConnectionString(IConfiguration configuration) =>
        configuration.GetConnectionString("Redis")
        ?? throw new InvalidOperationException("Cluster:Mode=Redis needs ConnectionStrings:Redis (e.g. 127.0.0.1:6379).");
}
