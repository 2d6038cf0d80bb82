using DmVoice.Grains.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Metadata;
using Orleans.Serialization.TypeSystem;

namespace DmVoice.Tests.Infrastructure;

/// <summary>
/// Grain references are made without reflection (<see cref="CachedGrainInterfaceTypes"/>), and with the
/// interface types Orleans itself would give them, in silos and in gateways alike.
/// </summary>
[Collection(GrainClusterCollection.Name)]
public sealed class CachedGrainInterfaceTypesTests(GrainClusterFixture fx)
{
    [Fact]
    public void Every_grain_interface_gets_the_interface_type_Orleans_would_give_it_first_time_and_every_time_after()
    {
        var services = fx.SiloServices;
        var providers = services.GetServices<IGrainInterfaceTypeProvider>().ToArray();
        Assert.IsType<CachedGrainInterfaceTypes>(providers[0]);
        var resolver = services.GetRequiredService<GrainInterfaceTypeResolver>();
        var orleansAlone = new GrainInterfaceTypeResolver(providers.Skip(1), services.GetRequiredService<TypeConverter>());

        var interfaces = typeof(IDmCallGrain).Assembly.GetTypes()
            .Where(t => t.IsInterface && typeof(IAddressable).IsAssignableFrom(t))
            .Append(typeof(IManagementGrain))
            .ToArray();
        Assert.Contains(typeof(IUserVoiceGrain), interfaces);
        foreach (var type in interfaces)
        {
            var expected = orleansAlone.GetGrainInterfaceType(type);
            Assert.Equal(expected, resolver.GetGrainInterfaceType(type));
            Assert.Equal(expected, resolver.GetGrainInterfaceType(type));
        }
    }

    [Fact]
    public void A_separate_gateway_s_cluster_client_asks_the_cache_before_Orleans_own_providers()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.UseOrleansClient(client => client.UseDmVoiceCluster(new ConfigurationBuilder().Build()));

        var first = builder.Services.First(d => d.ServiceType == typeof(IGrainInterfaceTypeProvider));

        Assert.Equal(typeof(CachedGrainInterfaceTypes), first.ImplementationType);
        Assert.Single(builder.Services, d => d.ImplementationType == typeof(CachedGrainInterfaceTypes));
    }
}
