global using DmVoice.Abstractions;
global using DmVoice.Gateway.Tests.Infrastructure;
global using DmVoice.TestSupport;
global using DmVoice.TestSupport.Orleans;
global using Xunit;
