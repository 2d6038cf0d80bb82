global using DmVoice.Abstractions;
global using DmVoice.TestSupport;
global using Xunit;
