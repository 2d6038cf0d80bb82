using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Metadata;
using Orleans.Serialization.TypeSystem;

namespace DmVoice.Grains.Hosting;

/// <summary>
/// Remembers which Orleans interface type each grain interface is, so that a grain reference costs no
/// reflection. Orleans works it out again on every <c>GetGrain</c>: it reads the interface's attributes
/// and formats its name, which a profile of the scaled-out silos and gateways showed as 4–5 % of their
/// CPU (docs/BENCHMARKS.md). The answer never changes for a type, so the first one is kept. Registered
/// first among the interface type providers; it asks the others, in their order, and falls back to
/// Orleans' naming convention, exactly as Orleans would.
/// </summary>
internal sealed class CachedGrainInterfaceTypes(IServiceProvider services) : IGrainInterfaceTypeProvider
{
    private readonly ConcurrentDictionary<Type, GrainInterfaceType> _known = new();
    private GrainInterfaceTypeResolver? _uncached;

    public bool TryGetGrainInterfaceType(Type type, out GrainInterfaceType grainInterfaceType)
    {
        if (!type.IsInterface)
        {
            // Orleans rejects it with its own error; nothing to remember.
            grainInterfaceType = default;
            return false;
        }

        grainInterfaceType = _known.GetOrAdd(type, static (t, self) => self.Uncached.GetGrainInterfaceType(t), this);
        return true;
    }

    /// <summary>Orleans' resolver over every other provider (built on first use: it cannot be injected, since it would include this one).</summary>
    private GrainInterfaceTypeResolver Uncached => _uncached ??= new GrainInterfaceTypeResolver(
        services.GetServices<IGrainInterfaceTypeProvider>().Where(p => !ReferenceEquals(p, this)),
        services.GetRequiredService<TypeConverter>());

    /// <summary>Puts the cache in front of the providers Orleans registers (its resolver asks them in registration order).</summary>
    public static void AddTo(IServiceCollection services)
    {
        if (!services.Any(d => d.ImplementationType == typeof(CachedGrainInterfaceTypes)))
        {
            services.Insert(0, ServiceDescriptor.Singleton<IGrainInterfaceTypeProvider, CachedGrainInterfaceTypes>());
        }
    }
}
