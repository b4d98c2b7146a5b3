cat mnist.sub
