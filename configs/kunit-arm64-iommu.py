# kunit.py --qemu_config for the full tier's arm64 run: QEMU's virt machine
# with an SMMUv3 in front of its PCIe bus and two PCI test devices behind it,
# so that the drm_gem_dma_iommu KUnit suite finds a device that uses dma-iommu
# (as rk3399 and Exynos5433 display controllers do) and allocates from its
# DMA domain, and the rockchip_drm suite finds two devices with DMA domains
# of their own to share one (as rk3399's two VOPs do).  Everything else is
# kunit.py's own arm64 configuration.
from ..qemu_config import QemuArchParams

QEMU_ARCH = QemuArchParams(linux_arch='arm64',
			   kconfig='''
CONFIG_SERIAL_AMBA_PL010=y
CONFIG_SERIAL_AMBA_PL010_CONSOLE=y
CONFIG_SERIAL_AMBA_PL011=y
CONFIG_SERIAL_AMBA_PL011_CONSOLE=y
CONFIG_PCI=y
CONFIG_PCI_HOST_GENERIC=y
CONFIG_IOMMU_SUPPORT=y
CONFIG_ARM_SMMU_V3=y
CONFIG_IOMMU_DEFAULT_DMA_STRICT=y''',
			   qemu_arch='aarch64',
			   kernel_path='arch/arm64/boot/Image.gz',
			   kernel_command_line='console=ttyAMA0',
			   extra_qemu_params=['-machine', 'virt,iommu=smmuv3',
					      '-cpu', 'max',
					      '-device', 'pci-testdev',
					      '-device', 'pci-testdev'])
