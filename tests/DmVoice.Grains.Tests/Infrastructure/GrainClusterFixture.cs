using DmVoice.TestSupport.Orleans;
using DmVoice.Grains.Hosting;
using DmVoice.Grains.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.Hosting;
using Orleans.TestingHost;

namespace DmVoice.Tests.Infrastructure;

/// <summary>
/// A real two-silo Orleans cluster in this process with in-memory storage. Call deadlines run on a
/// fake clock the tests advance; Orleans' own clock stays real.
/// </summary>
public sealed class GrainClusterFixture : IAsyncLifetime
{
    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IClusterClient Client => Cluster.Client;

    public static IConfiguration Configuration { get; } = new ConfigurationBuilder()
        .AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Calls:EmptyCallGrace"] = "00:00:10",
            ["Calls:RingTimeout"] = "00:00:30",
            ["Calls:DisconnectGrace"] = "00:00:30",
            ["Calls:HistoryLimit"] = "5",
        })
        .Build();

    public async ValueTask InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(2);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddDmVoiceInMemoryStorage().AddDmVoiceGrains(Configuration);
            silo.Services.AddSingleton(new CallClock(Time));
        });
        builder.ConfigureClient(client => client.AddMemoryStreams(VoiceStreams.ProviderName));
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async ValueTask DisposeAsync() => await Cluster.DisposeAsync();

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
}

[CollectionDefinition(Name)]
public sealed class GrainClusterCollection : ICollectionFixture<GrainClusterFixture>
{
    public const string Name = "grain cluster";
}
