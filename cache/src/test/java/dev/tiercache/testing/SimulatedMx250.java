package dev.tiercache.testing;

import dev.tiercache.cuda.CudaLibrary;
import dev.tiercache.cuda.sim.SimulatedCuda;
import dev.tiercache.cuda.sim.SimulatedDeviceProfile;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Each test on a fresh simulated mx250 (the surefire configuration selects the simulated device),
 * and after it a check that the device holds nothing: no allocation, stream, event or module left
 * by a cache the test closed.
 */
public final class SimulatedMx250 implements BeforeEachCallback, AfterEachCallback
{
    /** Made by JUnit, for {@code @ExtendWith(dev.tiercache.testing.SimulatedMx250.class)}. */
    public SimulatedMx250()
    {
    }

    @Override
    public void beforeEach(final ExtensionContext context)
    {
        CudaLibrary.location();
        SimulatedCuda.current().reset(SimulatedDeviceProfile.MX250);
    }

    @Override
    public void afterEach(final ExtensionContext context)
    {
        final String outstanding = SimulatedCuda.current().outstandingDescription();
        SimulatedCuda.current().reset(SimulatedDeviceProfile.MX250);
        assertEquals("", outstanding, "native resources left after close");
    }
}
