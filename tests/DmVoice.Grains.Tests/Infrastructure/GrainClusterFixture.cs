using DmVoice.TestSupport.Orleans;
using DmVoice.TestSupport.Redis;
using DmVoice.Grains.Hosting;
using DmVoice.Grains.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.Hosting;
using Orleans.TestingHost;
using Microsoft.Extensions.Options;
using Orleans.Storage;
using StackExchange.Redis;

namespace DmVoice.Tests.Infrastructure;

/// <summary>
/// A real two-silo Orleans cluster in this process, with in-memory storage here and Redis storage
/// in <see cref="RedisGrainClusterFixture"/>. Call deadlines run on a fake clock the tests
/// advance; Orleans' own clock stays real.
/// </summary>
public class GrainClusterFixture : IAsyncLifetime
{
    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IClusterClient Client
    {
        get
        {
            EnsureAvailable();
            return Cluster.Client;
        }
    }

    /// <summary>
    /// A participant without a live device leaves after the disconnect grace; the rules tested here
    /// mostly join over the grain API without a device, so the grace is the longest allowed and the
    /// presence-lease tests advance past it on purpose.
    /// </summary>
    public static readonly TimeSpan DisconnectGrace = TimeSpan.FromMinutes(10);

    public IConfiguration Configuration
    {
        get
        {
            var settings = new Dictionary<string, string?>
            {
                ["Calls:EmptyCallGrace"] = "00:00:10",
                ["Calls:RingTimeout"] = "00:00:30",
                ["Calls:DisconnectGrace"] = DisconnectGrace.ToString(),
                ["Calls:HistoryLimit"] = "5",
                ["Cluster:EventDelivery"] = EventDelivery,
                ["Calls:MemberCheckInterval"] = MemberCheckInterval.ToString(),

                // Every test's devices are audited every second: an audit that forgot a device its
                // gateway holds would show up all over the suite.
                ["Calls:PresenceAuditInterval"] = "00:00:01",
            };
            AddSettings(settings);
            return new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        }
    }

    /// <summary>Settings a derived fixture adds (or overrides).</summary>
    protected virtual void AddSettings(Dictionary<string, string?> settings)
    {
    }

    /// <summary>How often live calls check their members (real time).</summary>
    protected virtual TimeSpan MemberCheckInterval => TimeSpan.FromSeconds(60);

    /// <summary>How events reach devices in this cluster (<c>Cluster:EventDelivery</c>).</summary>
    protected virtual string EventDelivery => DmVoiceClusterOptions.DirectDelivery;

    /// <summary>Why the cluster could not start here (a missing program), or null when it runs.</summary>
    protected string? UnavailableReason { get; set; }

    public async ValueTask InitializeAsync()
    {
        await PrepareAsync();
        if (UnavailableReason is not null)
        {
            return;
        }

        var configuration = Configuration;
        var cluster = DmVoiceClusterOptions.From(configuration);
        var builder = new InProcessTestClusterBuilder(2);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((_, silo) =>
        {
            ConfigureStorage(silo);
            silo.AddDmVoiceGrains(configuration);
            silo.Services.AddSingleton(new CallClock(Time));
        });
        builder.ConfigureClient(client =>
        {
            if (cluster.UsesStreams)
            {
                client.AddMemoryStreams(VoiceStreams.ProviderName);
            }

            client.Services.AddSingleton(Options.Create(cluster));
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    /// <summary>Skips the calling test (fails it in CI) when this cluster could not start.</summary>
    public void EnsureAvailable() => TestEnvironment.Require(UnavailableReason is null, UnavailableReason ?? string.Empty);

    protected virtual ValueTask PrepareAsync() => ValueTask.CompletedTask;

    protected virtual void ConfigureStorage(ISiloBuilder silo) => silo.AddDmVoiceInMemoryStorage(Store);

    /// <summary>The in-memory states both silos store in, as they would share a Redis server.</summary>
    protected InProcessStateStore Store { get; } = new();

    public virtual async ValueTask DisposeAsync()
    {
        if (Cluster is not null)
        {
            await Cluster.DisposeAsync();
        }
    }

    /// <summary>The services of the first silo (what grains there are given).</summary>
    public IServiceProvider SiloServices => Cluster.Silos[0].SiloHost.Services;

    public IDmGroupGrain Group(string id) => Client.GetGrain<IDmGroupGrain>(id);

    public IDmCallGrain Call(string id) => Client.GetGrain<IDmCallGrain>(id);

    public IUserVoiceGrain User(string id) => Client.GetGrain<IUserVoiceGrain>(id);

    /// <summary>Creates a DM: two users make a 1:1, more make a group.</summary>
    public async Task<DmGroup> CreateDmAsync(params string[] members)
    {
        var isGroup = members.Length > 2;
        var id = isGroup ? DmGroupIds.NewGroup() : DmGroupIds.ForPair(members[0], members[1]);
        var created = await Group(id).Create(members[0], members[1..], null, isGroup);
        return created.Group;
    }

    public Task<JoinResult> JoinAsync(string userId, string dmGroupId) =>
        User(userId).JoinDmCall(dmGroupId, new JoinRequest(userId));

    /// <summary>Advances call time; deadline timers fire as grain calls, so wait for their effect after.</summary>
    public void Advance(TimeSpan by) => Time.Advance(by);

    /// <summary>What storage holds for the grain: what it would start from after a crash.</summary>
    public async Task<T> StoredAsync<T>(string stateName, GrainId grainId)
        where T : new()
    {
        var storage = SiloServices.GetRequiredKeyedService<IGrainStorage>(StorageNames.Default);
        var state = new GrainState<T>(new T());
        await storage.ReadStateAsync(stateName, grainId, state);
        return state.State!;
    }

    /// <summary>Whether the grain has an activation now, anywhere in the cluster.</summary>
    public async Task<bool> IsActiveAsync(IAddressable grain) =>
        await Client.GetGrain<IManagementGrain>(0).GetGrainActivationCount((GrainReference)grain) > 0;
}

[CollectionDefinition(Name)]
public sealed class GrainClusterCollection : ICollectionFixture<GrainClusterFixture>
{
    public const string Name = "grain cluster";
}

/// <summary>
/// The in-memory cluster with planned storage failures (<see cref="StorageFaults"/>) and calls that
/// check their members every second, for the rules about what a failed write may leave behind.
/// </summary>
public class FaultyStorageClusterFixture : GrainClusterFixture
{
    public StorageFaults Faults { get; } = new();

    protected override TimeSpan MemberCheckInterval => TimeSpan.FromSeconds(1);

    /// <summary>A DM list's order waits longer than the other coalesced changes (5 s), short enough to watch it stored.</summary>
    public static readonly TimeSpan DirectoryOrderWriteDelay = TimeSpan.FromSeconds(15);

    protected override void AddSettings(Dictionary<string, string?> settings) =>
        settings["Calls:DirectoryOrderWriteDelay"] = DirectoryOrderWriteDelay.ToString();

    protected override void ConfigureStorage(ISiloBuilder silo)
    {
        base.ConfigureStorage(silo);

        // In front of the default provider the base registers (the last registration of a key wins).
        var faults = Faults;
        var store = Store;
        silo.Services.AddKeyedSingleton<IGrainStorage>(
            StorageNames.Default,
            (sp, _) => new FaultInjectingGrainStorage(InProcessGrainStorage.Create(sp, StorageNames.Default, store), faults));
    }
}

[CollectionDefinition(Name)]
public sealed class FaultyStorageClusterCollection : ICollectionFixture<FaultyStorageClusterFixture>
{
    public const string Name = "grain cluster with storage faults";
}

/// <summary>
/// Planned storage failures with the production member check (a minute), for repairs that must come
/// sooner than a live call's next member check.
/// </summary>
public sealed class FaultyStorageMinuteCheckClusterFixture : FaultyStorageClusterFixture
{
    protected override TimeSpan MemberCheckInterval => TimeSpan.FromSeconds(60);
}

/// <summary>
/// Planned storage failures with durable deadlines, as in Redis mode (a live room registers a reminder
/// with its write), and planned failures of those registrations (<see cref="ReminderFaults"/>).
/// </summary>
public sealed class FaultyRemindersClusterFixture : FaultyStorageClusterFixture
{
    public ReminderFaults Reminders { get; } = new();

    protected override void ConfigureStorage(ISiloBuilder silo)
    {
        base.ConfigureStorage(silo);
        silo.Services.PostConfigure<CallOptions>(o => o.DurableDeadlines = true);

        // In front of the in-memory table the base registers.
        var table = silo.Services.Last(d => d.ServiceType == typeof(IReminderTable));
        silo.Services.Remove(table);
        var reminders = Reminders;
        silo.Services.AddSingleton<IReminderTable>(services =>
            new FaultInjectingReminderTable((IReminderTable)table.ImplementationFactory!(services), reminders));
    }
}

[CollectionDefinition(Name)]
public sealed class FaultyRemindersClusterCollection : ICollectionFixture<FaultyRemindersClusterFixture>
{
    public const string Name = "grain cluster with storage and reminder faults";
}

[CollectionDefinition(Name)]
public sealed class FaultyStorageMinuteCheckClusterCollection : ICollectionFixture<FaultyStorageMinuteCheckClusterFixture>
{
    public const string Name = "grain cluster with storage faults and minute member checks";
}

/// <summary>The same in-memory cluster with events delivered through per-user Orleans streams.</summary>
public sealed class StreamsGrainClusterFixture : GrainClusterFixture
{
    protected override string EventDelivery => DmVoiceClusterOptions.StreamsDelivery;
}

[CollectionDefinition(Name)]
public sealed class StreamsGrainClusterCollection : ICollectionFixture<StreamsGrainClusterFixture>
{
    public const string Name = "grain cluster with stream delivery";
}

/// <summary>Stream delivery with planned failures of the stream queues (<see cref="StreamFaults"/>).</summary>
public sealed class FaultyStreamsClusterFixture : GrainClusterFixture
{
    public StreamFaults Faults { get; } = new();

    protected override string EventDelivery => DmVoiceClusterOptions.StreamsDelivery;

    protected override void ConfigureStorage(ISiloBuilder silo)
    {
        base.ConfigureStorage(silo);
        silo.Services.AddSingleton<IIncomingGrainCallFilter>(services => Faults.For(services));
    }
}

[CollectionDefinition(Name)]
public sealed class FaultyStreamsClusterCollection : ICollectionFixture<FaultyStreamsClusterFixture>
{
    public const string Name = "grain cluster with stream delivery and failing stream queues";
}

/// <summary>
/// The same two-silo cluster with every grain state and stream subscription in a private
/// redis-server (Redis grain storage, ETag-checked), and durable deadlines as in Redis mode.
/// </summary>
public sealed class RedisGrainClusterFixture : GrainClusterFixture
{
    private RedisServer? _redis;

    protected override async ValueTask PrepareAsync()
    {
        if (RedisServer.FindProgram() is not { } program)
        {
            UnavailableReason = "'redis-server' was not found on PATH";
            return;
        }

        _redis = await RedisServer.StartAsync(program);
    }

    protected override void ConfigureStorage(ISiloBuilder silo)
    {
        var redis = _redis!.ConnectionString;
        silo.AddRedisGrainStorage(StorageNames.Default, o => o.ConfigurationOptions = ConfigurationOptions.Parse(redis));
        silo.AddRedisGrainStorage(VoiceStreams.PubSubStore, o => o.ConfigurationOptions = ConfigurationOptions.Parse(redis));
        silo.UseInMemoryReminderService();
        silo.Services.PostConfigure<CallOptions>(o => o.DurableDeadlines = true);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class RedisGrainClusterCollection : ICollectionFixture<RedisGrainClusterFixture>
{
    public const string Name = "grain cluster on redis";
}

/// <summary>
/// Redis storage on a durable private redis-server that tests stall (<c>CLIENT PAUSE</c>) and kill,
/// with storage timeouts of 1.5 s so a stalled write fails in seconds, and calls that check their
/// members every second.
/// </summary>
public sealed class RedisFaultsClusterFixture : GrainClusterFixture
{
    public static readonly TimeSpan StorageTimeout = TimeSpan.FromMilliseconds(1500);

    private RedisServer? _redis;

    public RedisServer Redis => _redis ?? throw new InvalidOperationException("redis-server is not running");

    protected override TimeSpan MemberCheckInterval => TimeSpan.FromSeconds(1);

    protected override async ValueTask PrepareAsync()
    {
        if (RedisServer.FindProgram() is null)
        {
            UnavailableReason = "'redis-server' was not found on PATH";
            return;
        }

        _redis = await RedisServer.StartDurableAsync();
    }

    protected override void ConfigureStorage(ISiloBuilder silo)
    {
        var timeout = (int)StorageTimeout.TotalMilliseconds;
        var redis = $"{_redis!.ConnectionString},asyncTimeout={timeout},syncTimeout={timeout},connectTimeout={timeout},abortConnect=false";
        silo.AddRedisGrainStorage(StorageNames.Default, o => o.ConfigurationOptions = ConfigurationOptions.Parse(redis));
        silo.AddRedisGrainStorage(VoiceStreams.PubSubStore, o => o.ConfigurationOptions = ConfigurationOptions.Parse(redis));
        silo.UseInMemoryReminderService();
        silo.Services.PostConfigure<CallOptions>(o => o.DurableDeadlines = true);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class RedisFaultsClusterCollection : ICollectionFixture<RedisFaultsClusterFixture>
{
    public const string Name = "grain cluster on a redis that fails";
}

